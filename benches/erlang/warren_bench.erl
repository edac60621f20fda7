#!/usr/bin/env escript
%% -*- erlang -*-
%%! +P 8000000
%%
%% warren_bench.erl: the Erlang/OTP side of benches/runtime.rs. Runs the same
%% workloads as the Warren benchmarks and prints one machine-readable line
%% per figure:
%%
%%     result KEY VALUE
%%
%% (VALUE a number). Anything else on stdout is commentary. Usage:
%%
%%     escript warren_bench.erl density blocked|hibernate N
%%     escript warren_bench.erl spawn SPAWNS_PER_SPAWNER
%%     escript warren_bench.erl pingpong ROUNDS
%%     escript warren_bench.erl call ROUNDS
%%     escript warren_bench.erl selective ROUNDS QUEUED
%%     escript warren_bench.erl ring N ROUNDS
%%     escript warren_bench.erl fairness ROUNDS
%%     escript warren_bench.erl hibernate ROUNDS
%%
%% Each run is a fresh VM (default flags: one scheduler per core), so memory
%% baselines are clean.
-module(warren_bench).
-mode(compile).
-export([main/1, blocked/0, hibernated/0, wake/0, hib_echo/0]).
-export([init/1, handle_call/3, handle_cast/2]).

main(["density", Kind, N]) -> density(list_to_atom(Kind), list_to_integer(N));
main(["spawn", M]) -> spawn_bench(list_to_integer(M));
main(["pingpong", R]) -> pingpong(list_to_integer(R));
main(["call", R]) -> call_bench(list_to_integer(R));
main(["selective", R, Q]) -> selective(list_to_integer(R), list_to_integer(Q));
main(["ring", N, R]) -> ring(list_to_integer(N), list_to_integer(R));
main(["fairness", R]) -> fairness(list_to_integer(R));
main(["hibernate", R]) -> hibernate_bench(list_to_integer(R));
main(Args) ->
    io:format(standard_error, "warren_bench: unknown arguments ~p~n", [Args]),
    halt(2).

result(Key, Value) -> io:format("result ~s ~p~n", [Key, Value]).

now_ns() -> erlang:monotonic_time(nanosecond).

median(L) -> lists:nth((length(L) + 1) div 2, lists:sort(L)).

%% ------------------------------------------------------------------ density

blocked() -> receive _ -> blocked() end.

%% Handler-style analogue: a hibernated process has no stack and a minimal
%% heap until a message arrives.
hibernated() -> erlang:hibernate(?MODULE, wake, []).

%% hibernate/3 needs an exported function; wake/0 is called per message.
wake() -> receive _ -> ok end, erlang:hibernate(?MODULE, wake, []).

%% VmRSS and VmPTE of this VM, in bytes.
proc_status() ->
    {ok, Text} = file:read_file("/proc/self/status"),
    Lines = binary:split(Text, <<"\n">>, [global]),
    Get = fun(Key) ->
        case [L || L <- Lines, binary:match(L, Key) =:= {0, byte_size(Key)}] of
            [Line | _] ->
                [_, Rest] = binary:split(Line, <<":">>),
                [Num | _] = binary:split(string:trim(Rest), <<" ">>),
                binary_to_integer(Num) * 1024;
            [] ->
                0
        end
    end,
    {Get(<<"VmRSS">>), Get(<<"VmPTE">>)}.

%% Waits until no process is runnable, then a little more.
settle() ->
    case statistics(total_run_queue_lengths_all) of
        0 -> timer:sleep(200), case statistics(total_run_queue_lengths_all) of 0 -> ok; _ -> settle() end;
        _ -> timer:sleep(50), settle()
    end.

spawn_many(_, 0) -> ok;
spawn_many(F, N) -> spawn(F), spawn_many(F, N - 1).

density(Kind, N) ->
    F = case Kind of
        blocked -> fun blocked/0;
        hibernate -> fun hibernated/0
    end,
    erlang:garbage_collect(),
    settle(),
    Count0 = erlang:system_info(process_count),
    Mem0 = erlang:memory(total),
    Proc0 = erlang:memory(processes),
    {Rss0, Pte0} = proc_status(),
    T0 = now_ns(),
    spawn_many(F, N),
    T1 = now_ns(),
    settle(),
    erlang:garbage_collect(),
    Count1 = erlang:system_info(process_count),
    Mem1 = erlang:memory(total),
    Proc1 = erlang:memory(processes),
    {Rss1, Pte1} = proc_status(),
    result("processes", Count1 - Count0),
    result("spawn_s", (T1 - T0) / 1.0e9),
    result("memory_total_per_proc", (Mem1 - Mem0) / N),
    result("memory_processes_per_proc", (Proc1 - Proc0) / N),
    result("rss_per_proc", (Rss1 - Rss0) / N),
    result("pte_per_proc", (Pte1 - Pte0) / N),
    result("rss_after", Rss1),
    halt(0).

%% -------------------------------------------------------------------- spawn

spawn_loop(0) -> ok;
spawn_loop(N) -> spawn(fun() -> ok end), spawn_loop(N - 1).

wait_count(Base) ->
    case erlang:system_info(process_count) =< Base of
        true -> ok;
        false -> erlang:yield(), wait_count(Base)
    end.

spawn_round(S, M) ->
    Self = self(),
    Base = erlang:system_info(process_count),
    T0 = now_ns(),
    [spawn(fun() ->
        A = now_ns(),
        spawn_loop(M),
        Self ! {spawned, now_ns() - A}
     end) || _ <- lists:seq(1, S)],
    Loops = [receive {spawned, D} -> D end || _ <- lists:seq(1, S)],
    wait_count(Base),
    Elapsed = now_ns() - T0,
    {Elapsed, lists:sum(Loops) / S}.

spawn_bench(M) ->
    S = erlang:system_info(schedulers_online),
    _ = spawn_round(S, M div 10),
    Runs = [spawn_round(S, M) || _ <- lists:seq(1, 3)],
    {Elapsed, Loop} = median(Runs),
    result("spawners", S),
    result("spawns", S * M),
    result("spawn_per_s", S * M / (Elapsed / 1.0e9)),
    result("spawn_call_ns", Loop / M),
    halt(0).

%% ----------------------------------------------------------------- pingpong

pong() ->
    receive
        {From, stop} -> From ! {self(), stop};
        {From, Msg} -> From ! {self(), Msg}, pong()
    end.

ping(_, 0) -> ok;
ping(Pong, N) ->
    Pong ! {self(), N},
    receive {Pong, N} -> ok end,
    ping(Pong, N - 1).

%% Like pingpong.wat: the pinger spawns pong, does the rounds, stops pong,
%% reports. Timed from the host's spawn to the report.
pingpong_once(Rounds) ->
    Self = self(),
    T0 = now_ns(),
    spawn(fun() ->
        Pong = spawn(fun pong/0),
        ping(Pong, Rounds),
        Pong ! {self(), stop},
        receive {Pong, stop} -> ok end,
        Self ! {done, Rounds}
    end),
    receive {done, Rounds} -> ok end,
    now_ns() - T0.

pingpong(Rounds) ->
    _ = pingpong_once(Rounds div 10),
    Elapsed = median([pingpong_once(Rounds) || _ <- lists:seq(1, 3)]),
    result("rounds", Rounds),
    result("rtt_ns", Elapsed / Rounds),
    halt(0).

%% --------------------------------------------------------------------- call

%% Like call.wat: a gen_server that answers every call with its request.
init([]) -> {ok, nostate}.
handle_call(Request, _From, State) -> {reply, Request, State}.
handle_cast(_, State) -> {noreply, State}.

callers(_, 0) -> ok;
callers(Server, N) ->
    N = gen_server:call(Server, N, infinity),
    callers(Server, N - 1).

%% A process starts the server, makes the calls, stops it, reports. Timed
%% from the host's spawn to the report.
call_once(Rounds) ->
    Self = self(),
    T0 = now_ns(),
    spawn(fun() ->
        {ok, Server} = gen_server:start(?MODULE, [], []),
        callers(Server, Rounds),
        gen_server:stop(Server),
        Self ! {done, Rounds}
    end),
    receive {done, Rounds} -> ok end,
    now_ns() - T0.

call_bench(Rounds) ->
    _ = call_once(Rounds div 10),
    Elapsed = median([call_once(Rounds) || _ <- lists:seq(1, 3)]),
    result("rounds", Rounds),
    result("call_ns", Elapsed / Rounds),
    halt(0).

%% ---------------------------------------------------------------- selective

%% Like selective.wat: the pinger queues Queued messages to itself that no
%% receive takes, then plays pingpong: each receive looks past all of them.
selective_once(Rounds, Queued) ->
    Self = self(),
    T0 = now_ns(),
    spawn(fun() ->
        Pong = spawn(fun pong/0),
        [self() ! {junk, I} || I <- lists:seq(1, Queued)],
        ping(Pong, Rounds),
        Pong ! {self(), stop},
        receive {Pong, stop} -> ok end,
        Self ! {done, Rounds}
    end),
    receive {done, Rounds} -> ok end,
    now_ns() - T0.

selective(Rounds, Queued) ->
    _ = selective_once(Rounds div 10, Queued),
    Elapsed = median([selective_once(Rounds, Queued) || _ <- lists:seq(1, 3)]),
    result("rounds", Rounds),
    result("rtt_ns", Elapsed / Rounds),
    halt(0).

%% ---------------------------------------------------------------- hibernate

%% Like hibernate.wat: an echo that hibernates after every message (or a
%% plain one), pinged by a pinger it answers; ns per round trip.
hib_echo() ->
    receive
        {From, Tag} -> From ! {self(), Tag}
    end,
    erlang:hibernate(?MODULE, hib_echo, []).

hib_ping(_, 0) -> ok;
hib_ping(Echo, N) ->
    Echo ! {self(), N},
    receive {Echo, N} -> ok end,
    hib_ping(Echo, N - 1).

hibernate_once(Rounds, Echo0) ->
    Self = self(),
    T0 = now_ns(),
    spawn(fun() ->
        Echo = Echo0(),
        hib_ping(Echo, Rounds),
        exit(Echo, kill),
        Self ! {done, Rounds}
    end),
    receive {done, Rounds} -> ok end,
    now_ns() - T0.

hibernate_bench(Rounds) ->
    Hibernating = fun() -> spawn(fun() -> erlang:hibernate(?MODULE, hib_echo, []) end) end,
    Plain = fun() -> spawn(fun pong/0) end,
    _ = hibernate_once(Rounds div 10, Hibernating),
    H = median([hibernate_once(Rounds, Hibernating) || _ <- lists:seq(1, 3)]),
    _ = hibernate_once(Rounds div 10, Plain),
    P = median([hibernate_once(Rounds, Plain) || _ <- lists:seq(1, 3)]),
    result("rtt_ns", H / Rounds),
    result("plain_rtt_ns", P / Rounds),
    halt(0).

%% --------------------------------------------------------------------- ring

ring_node(Next) ->
    receive
        {token, 0} -> Next ! {token, 0};
        Msg -> Next ! Msg, ring_node(Next)
    end.

ring_rounds(_, 0, _) -> ok;
ring_rounds(Next, R, Total) ->
    Next ! {token, Total - R + 1},
    receive {token, _} -> ok end,
    ring_rounds(Next, R - 1, Total).

%% Like ring.wat: main spawns N-1 nodes (last first), sends the token around
%% `Rounds` times, shuts the ring down with token 0, reports.
ring_once(N, Rounds) ->
    Self = self(),
    T0 = now_ns(),
    spawn(fun() ->
        Me = self(),
        First = lists:foldl(fun(_, Next) -> spawn(fun() -> ring_node(Next) end) end, Me, lists:seq(1, N - 1)),
        ring_rounds(First, Rounds, Rounds),
        First ! {token, 0},
        receive {token, 0} -> ok end,
        Self ! {hops, N * Rounds}
    end),
    receive {hops, _} -> ok end,
    now_ns() - T0.

ring(N, Rounds) ->
    _ = ring_once(N, Rounds div 10),
    Elapsed = median([ring_once(N, Rounds) || _ <- lists:seq(1, 3)]),
    result("hops", N * Rounds),
    result("hop_ns", Elapsed / (N * Rounds)),
    halt(0).

%% ----------------------------------------------------------------- fairness

%% A loop that never blocks (small-integer arithmetic only, no allocation).
busy(X) -> busy((X * 69069 + 12345) band 16#ffffffff).

timed_ping(_, 0, Acc) -> Acc;
timed_ping(Pong, N, Acc) ->
    T0 = now_ns(),
    Pong ! {self(), N},
    receive {Pong, N} -> ok end,
    timed_ping(Pong, N - 1, [now_ns() - T0 | Acc]).

%% Round-trip samples of a ping-pong pair, the first 10% dropped (warm-up).
latencies(Rounds) ->
    Self = self(),
    spawn(fun() ->
        Pong = spawn(fun pong/0),
        Samples = timed_ping(Pong, Rounds, []),
        Pong ! {self(), stop},
        receive {Pong, stop} -> ok end,
        Self ! {samples, Samples}
    end),
    receive {samples, S} -> lists:nthtail(Rounds div 10, lists:reverse(S)) end.

percentile(Sorted, P) ->
    Len = length(Sorted),
    lists:nth(max(1, min(Len, round(P * Len))), Sorted).

report_latencies(Prefix, Samples) ->
    Sorted = lists:sort(Samples),
    result(Prefix ++ "_p50_ns", percentile(Sorted, 0.50)),
    result(Prefix ++ "_p99_ns", percentile(Sorted, 0.99)),
    result(Prefix ++ "_max_ns", lists:last(Sorted)).

fairness(Rounds) ->
    S = erlang:system_info(schedulers_online),
    report_latencies("idle", latencies(Rounds)),
    Busy = [spawn(fun() -> busy(1) end) || _ <- lists:seq(1, S)],
    timer:sleep(50),
    report_latencies("busy", latencies(Rounds)),
    [exit(P, kill) || P <- Busy],
    result("busy_loops", S),
    halt(0).
