#!/usr/bin/env escript
%% -*- erlang -*-
%%! +P 4000000
%%
%% languages_bench.erl: the Erlang/OTP side of benches/languages.rs (one
%% table, every guest language side by side). Runs the workloads the
%% Warren side runs per language and prints one machine-readable line per
%% figure:
%%
%%     result KEY VALUE
%%
%% Usage (each run is a fresh VM with default flags: one scheduler per core):
%%
%%     escript languages_bench.erl spawn N          % spawn+exit rate
%%     escript languages_bench.erl idle N           % RSS per process blocked in receive
%%     escript languages_bench.erl hibernate N      % RSS per process in erlang:hibernate
%%     escript languages_bench.erl call ROUNDS      % gen_server:call {add, 1} round trip
%%
%% `spawn`: one process spawns N processes that return at once, and waits
%% for every one's 'DOWN' (as the Warren side waits for every exit). The
%% median of 3 runs.
%% `call`: a counter gen_server answering {add, K} with the new count, as
%% the guests' counters do; 1,000 calls to warm up, then ROUNDS timed. The
%% median of 3 runs.
-module(languages_bench).
-mode(compile).
-behaviour(gen_server).
-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).
-export([wake/0]).

main(["spawn", N]) -> spawn_bench(list_to_integer(N));
main(["idle", N]) -> resident_bench(list_to_integer(N), idle);
main(["hibernate", N]) -> resident_bench(list_to_integer(N), hibernate);
main(["call", R]) -> call_bench(list_to_integer(R));
main(Args) ->
    io:format(standard_error, "languages_bench: unknown arguments ~p~n", [Args]),
    halt(2).

result(Key, Value) -> io:format("result ~s ~p~n", [Key, Value]).

now_ns() -> erlang:monotonic_time(nanosecond).

median(L) -> lists:nth((length(L) + 1) div 2, lists:sort(L)).

%% Runs Fun in a fresh process and returns its result.
in_process(Fun) ->
    Self = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Self ! {self(), Fun()} end),
    receive
        {Pid, Result} -> erlang:demonitor(Ref, [flush]), Result;
        {'DOWN', Ref, process, Pid, Reason} -> error({bench_process_died, Reason})
    end.

%% ------------------------------------------------------------ spawn+exit

spawn_all(0) -> ok;
spawn_all(N) ->
    spawn_monitor(fun() -> ok end),
    spawn_all(N - 1).

await_down(0) -> ok;
await_down(N) ->
    receive {'DOWN', _, process, _, normal} -> await_down(N - 1) end.

spawn_bench(N) ->
    Runs = [in_process(fun() ->
                T0 = now_ns(),
                spawn_all(N),
                await_down(N),
                now_ns() - T0
            end) || _ <- lists:seq(1, 3)],
    result("spawn_per_s", N / (median(Runs) / 1.0e9)).

%% ------------------------------------------------------------ resident

rss() ->
    {ok, Text} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Text, <<"\n">>, [global]), binary:match(L, <<"VmRSS:">>) =:= {0, 6}],
    [_, Rest] = binary:split(Line, <<":">>),
    [Num | _] = binary:split(string:trim(Rest), <<" ">>),
    binary_to_integer(Num) * 1024.

%% A process blocked in receive, or hibernated (erlang:hibernate/3: its
%% heap compacted, no stack), until it is told to stop.
idle() -> receive stop -> ok end.
sleeper() -> erlang:hibernate(?MODULE, wake, []).
wake() -> ok.

start_processes(0, _) -> ok;
start_processes(N, idle) -> spawn(fun idle/0), start_processes(N - 1, idle);
start_processes(N, hibernate) -> spawn(fun sleeper/0), start_processes(N - 1, hibernate).

resident_bench(N, Kind) ->
    erlang:garbage_collect(),
    timer:sleep(200),
    Rss0 = rss(),
    Mem0 = erlang:memory(total),
    Self = self(),
    spawn(fun() -> start_processes(N, Kind), Self ! started end),
    receive started -> ok end,
    timer:sleep(500),
    Rss1 = rss(),
    Mem1 = erlang:memory(total),
    result("process_bytes", (Rss1 - Rss0) / N),
    result("process_bytes_erlang_memory", (Mem1 - Mem0) / N).

%% ------------------------------------------------------------ gen_server

init(Count) -> {ok, Count}.
handle_call({add, K}, _From, Count) -> {reply, Count + K, Count + K};
handle_call(get, _From, Count) -> {reply, Count, Count}.
handle_cast(_, Count) -> {noreply, Count}.

calls(_, 0) -> ok;
calls(Server, N) ->
    _ = gen_server:call(Server, {add, 1}, infinity),
    calls(Server, N - 1).

call_bench(Rounds) ->
    Runs = [in_process(fun() ->
                {ok, Server} = gen_server:start_link(?MODULE, 0, []),
                calls(Server, 1000),
                T0 = now_ns(),
                calls(Server, Rounds),
                T = now_ns() - T0,
                Total = Rounds + 1000,
                Total = gen_server:call(Server, get, infinity),
                gen_server:stop(Server),
                T
            end) || _ <- lists:seq(1, 3)],
    result("call_ns", median(Runs) / Rounds).
