#!/usr/bin/env escript
%% -*- erlang -*-
%%
%% tables_bench.erl: the Erlang/OTP side of benches/tables.rs. Runs the same
%% ets workloads as the Warren table benchmarks and prints one line per
%% figure:
%%
%%     result KEY VALUE
%%
%% VALUE is nanoseconds per operation, the median of RUNS runs; for the
%% workloads with two processes it is the wall time divided by all the
%% operations of both. Anything else on stdout is commentary. Usage:
%%
%%     escript tables_bench.erl N RUNS
%%
%% Every workload runs on `public` tables twice: with ETS's default options
%% and with `{read_concurrency, true}, {write_concurrency, true}`; the
%% result is the faster of the two (commentary lines show both), so Warren is
%% compared with Erlang at its best. Keys are the integers 0..N-1, values the
%% same integers. "seq" lookups go through the keys in order, "scattered"
%% ones in the order `(i * 7919) rem N` (a permutation). Every timed loop
%% runs in a process of its own, started before the clock and released with
%% a `go` message, as on the Warren side.
-module(tables_bench).
-mode(compile).
-export([main/1]).

main([NStr, RunsStr]) ->
    N = list_to_integer(NStr),
    Runs = list_to_integer(RunsStr),
    io:format("OTP ~s, ~p schedulers, N = ~p, median of ~p runs~n",
              [erlang:system_info(otp_release), erlang:system_info(schedulers_online), N, Runs]),
    Figures = lists:append([workloads(Kind, Tuned, N, Runs) || Kind <- [set, ordered_set], Tuned <- [false, true]])
        ++ lists:append([counters(Tuned, N, Runs) || Tuned <- [false, true]]),
    Keys = lists:usort([K || {K, _, _} <- Figures]),
    lists:foreach(
      fun(Key) ->
              Values = [{Tuned, V} || {K, Tuned, V} <- Figures, K =:= Key],
              [io:format("  ~s ~s ~.1f~n", [Key, label(T), V]) || {T, V} <- Values],
              result(Key, lists:min([V || {_, V} <- Values]))
      end, Keys);
main(Args) ->
    io:format(standard_error, "tables_bench: unknown arguments ~p (want N RUNS)~n", [Args]),
    halt(2).

label(false) -> "default-options";
label(true) -> "read+write_concurrency".

opts(Kind, false) -> [Kind, public];
opts(Kind, true) -> [Kind, public, {read_concurrency, true}, {write_concurrency, true}].

prefix(set) -> "";
prefix(ordered_set) -> "ordered_".

%% Median figures of one table type with one set of options.
workloads(Kind, Tuned, N, Runs) ->
    Rows = [run(Kind, Tuned, N) || _ <- lists:seq(1, Runs)],
    Names = [K || {K, _} <- hd(Rows)],
    [{prefix(Kind) ++ Name, Tuned, median([V || Row <- Rows, {K, V} <- Row, K =:= Name])} || Name <- Names].

%% One run: fill a fresh table, then look every key up from one process,
%% then from two at once.
run(Kind, Tuned, N) ->
    T = ets:new(bench, opts(Kind, Tuned)),
    Insert = parallel([fun() -> insert_loop(T, 0, N) end]) / N,
    Seq = parallel([fun() -> seq_loop(T, 0, N) end]) / N,
    Scattered = parallel([fun() -> scattered_loop(T, 0, N, N) end]) / N,
    Seq2 = parallel([fun() -> seq_loop(T, 0, N) end, fun() -> seq_loop(T, 0, N) end]) / (2 * N),
    Scattered2 = parallel([fun() -> scattered_loop(T, 0, N, N) end,
                           fun() -> scattered_loop(T, N div 2, N, N) end]) / (2 * N),
    ets:delete(T),
    [{"insert", Insert}, {"lookup_seq", Seq}, {"lookup_scattered", Scattered},
     {"lookup_seq_2procs", Seq2}, {"lookup_scattered_2procs", Scattered2}].

counters(Tuned, N, Runs) ->
    Rows = [counter_run(Tuned, N) || _ <- lists:seq(1, Runs)],
    Names = [K || {K, _} <- hd(Rows)],
    [{Name, Tuned, median([V || Row <- Rows, {K, V} <- Row, K =:= Name])} || Name <- Names].

counter_run(Tuned, N) ->
    T = ets:new(bench, opts(set, Tuned)),
    One = parallel([fun() -> counter_loop(T, hits, N) end]) / N,
    Same = parallel([fun() -> counter_loop(T, hits, N) end, fun() -> counter_loop(T, hits, N) end]) / (2 * N),
    Own = parallel([fun() -> counter_loop(T, a, N) end, fun() -> counter_loop(T, b, N) end]) / (2 * N),
    [{hits, Hits}] = ets:lookup(T, hits),
    Hits = 3 * N,
    ets:delete(T),
    [{"counter", One}, {"counter_2procs_same_key", Same}, {"counter_2procs_own_keys", Own}].

insert_loop(_T, N, N) -> ok;
insert_loop(T, I, N) ->
    true = ets:insert(T, {I, I}),
    insert_loop(T, I + 1, N).

seq_loop(_T, N, N) -> ok;
seq_loop(T, I, N) ->
    [_] = ets:lookup(T, I),
    seq_loop(T, I + 1, N).

%% Looks up `Count` keys of a permutation of 0..N-1 (7919 is prime).
scattered_loop(_T, _Offset, 0, _N) -> ok;
scattered_loop(T, Offset, Count, N) ->
    [_] = ets:lookup(T, ((Count + Offset) * 7919) rem N),
    scattered_loop(T, Offset, Count - 1, N).

counter_loop(_T, _Key, 0) -> ok;
counter_loop(T, Key, Count) ->
    ets:update_counter(T, Key, 1, {Key, 0}),
    counter_loop(T, Key, Count - 1).

%% Runs each fun in a process of its own, all released at once; returns
%% the wall time in nanoseconds from the release to the last finish.
parallel(Funs) ->
    Self = self(),
    Pids = [spawn_link(fun() ->
                           Self ! {ready, self()},
                           receive go -> ok end,
                           F(),
                           Self ! {done, self()}
                       end) || F <- Funs],
    [receive {ready, P} -> ok end || P <- Pids],
    T0 = erlang:monotonic_time(nanosecond),
    [P ! go || P <- Pids],
    [receive {done, P} -> ok end || P <- Pids],
    erlang:monotonic_time(nanosecond) - T0.

median(L) -> lists:nth((length(L) + 1) div 2, lists:sort(L)).

result(Key, Value) -> io:format("result ~s ~.1f~n", [Key, float(Value)]).
