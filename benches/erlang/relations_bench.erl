#!/usr/bin/env escript
%% -*- erlang -*-
%%! +P 4000000
%%
%% relations_bench.erl: the Erlang/OTP side of benches/relations.rs. Runs
%% the same workloads as the Warren side and prints one machine-readable
%% line per figure:
%%
%%     result KEY VALUE
%%
%% Usage (each run is a fresh VM with default flags: one scheduler per core):
%%
%%     escript relations_bench.erl link N           % N link+unlink pairs
%%     escript relations_bench.erl monitor N        % N monitor+demonitor pairs
%%     escript relations_bench.erl chain N          % exit(End, kill) through N linked processes
%%     escript relations_bench.erl timers N         % insert, cancel, fire N timers
%%     escript relations_bench.erl timer_memory N   % RSS per pending timer
-module(relations_bench).
-mode(compile).
-export([main/1]).

main(["link", N]) -> link_bench(list_to_integer(N));
main(["monitor", N]) -> monitor_bench(list_to_integer(N));
main(["chain", N]) -> chain_bench(list_to_integer(N));
main(["timers", N]) -> timers_bench(list_to_integer(N));
main(["timer_memory", N]) -> timer_memory(list_to_integer(N));
main(Args) ->
    io:format(standard_error, "relations_bench: unknown arguments ~p~n", [Args]),
    halt(2).

result(Key, Value) -> io:format("result ~s ~p~n", [Key, Value]).

now_ns() -> erlang:monotonic_time(nanosecond).

idle() -> receive _ -> idle() end.

%% Runs Fun in a fresh process (not the escript's own, whose heap may be
%% large) and returns its result.
in_process(Fun) ->
    Self = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Self ! {self(), Fun()} end),
    receive
        {Pid, Result} -> erlang:demonitor(Ref, [flush]), Result;
        {'DOWN', Ref, process, Pid, Reason} -> error({bench_process_died, Reason})
    end.

%% -------------------------------------------------------- link / monitor

link_loop(_Peer, 0) -> ok;
link_loop(Peer, N) -> link(Peer), unlink(Peer), link_loop(Peer, N - 1).

link_bench(N) ->
    Peer = spawn(fun idle/0),
    link_loop(Peer, 1000),
    Ns = in_process(fun() ->
        T0 = now_ns(),
        link_loop(Peer, N),
        now_ns() - T0
    end),
    result("link_unlink_ns", Ns / N).

monitor_loop(_Peer, 0) -> ok;
monitor_loop(Peer, N) ->
    Ref = erlang:monitor(process, Peer),
    erlang:demonitor(Ref),
    monitor_loop(Peer, N - 1).

monitor_bench(N) ->
    Peer = spawn(fun idle/0),
    monitor_loop(Peer, 1000),
    Ns = in_process(fun() ->
        T0 = now_ns(),
        monitor_loop(Peer, N),
        now_ns() - T0
    end),
    result("monitor_demonitor_ns", Ns / N).

%% ------------------------------------------------------------------ chain

%% A member of a chain: spawn_links the next one (the far end tells Top its
%% pid), then waits.
member(Top, 0) -> Top ! {far_end, self()}, idle();
member(Top, N) -> spawn_link(fun() -> member(Top, N - 1) end), idle().

chain_bench(N) ->
    Top = self(),
    F0 = minor_faults(),
    T0 = now_ns(),
    {Head, Ref} = spawn_monitor(fun() -> member(Top, N - 1) end),
    End = receive {far_end, E} -> E end,
    T1 = now_ns(),
    F1 = minor_faults(),
    exit(End, kill),
    receive {'DOWN', Ref, process, Head, killed} -> ok end,
    T2 = now_ns(),
    result("chain_build_ms", (T1 - T0) / 1.0e6),
    result("chain_kill_ms", (T2 - T1) / 1.0e6),
    result("chain_fresh_bytes", (F1 - F0) * 4096 / N).  % 4 KiB pages (x86-64 Linux)

%% Minor page faults of the VM's OS process so far (field 10 of
%% /proc/self/stat, the 8th after the command's closing parenthesis).
minor_faults() ->
    {ok, Stat} = file:read_file("/proc/self/stat"),
    [_, Fields] = string:split(Stat, ")", trailing),
    binary_to_integer(lists:nth(8, string:lexemes(Fields, " "))).

%% ----------------------------------------------------------------- timers

insert(0, Acc) -> Acc;
insert(N, Acc) -> insert(N - 1, [erlang:send_after(3600000, self(), t) | Acc]).

cancel([]) -> ok;
cancel([R | Rs]) -> erlang:cancel_timer(R), cancel(Rs).

%% N timers all due at Due (a monotonic time in ns), each rounded up to
%% the next millisecond.
insert_due(0, _Due) -> ok;
insert_due(N, Due) ->
    Ms = max(0, (Due - now_ns() + 999999) div 1000000),
    erlang:send_after(Ms, self(), fire),
    insert_due(N - 1, Due).

%% Receives N `fire` messages; returns the time of the first and the last.
collect(N) ->
    receive fire -> ok end,
    First = now_ns(),
    collect_rest(N - 1),
    {First, now_ns()}.

collect_rest(0) -> ok;
collect_rest(N) -> receive fire -> ok end, collect_rest(N - 1).

timers_bench(N) ->
    {Insert, Cancel, Fire, Spread} = in_process(fun() ->
        T0 = now_ns(),
        Refs = insert(N, []),
        T1 = now_ns(),
        cancel(lists:reverse(Refs)),
        T2 = now_ns(),
        %% All due at once, after the time it takes to make them.
        Due = now_ns() + 2 * (T1 - T0) + 50000000,
        insert_due(N, Due),
        {First, Last} = collect(N),
        {T1 - T0, T2 - T1, Last - Due, Last - First}
    end),
    result("timer_insert_per_s", N / (Insert / 1.0e9)),
    result("timer_cancel_per_s", N / (Cancel / 1.0e9)),
    result("timer_fire_per_s", N / (max(Fire, 1) / 1.0e9)),
    result("timer_fire_ms", Fire / 1.0e6),
    result("timer_fire_spread_ms", Spread / 1.0e6).

%% VmRSS of this VM, in bytes.
rss() ->
    {ok, Text} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Text, <<"\n">>, [global]), binary:match(L, <<"VmRSS:">>) =:= {0, 6}],
    [_, Rest] = binary:split(Line, <<":">>),
    [Num | _] = binary:split(string:trim(Rest), <<" ">>),
    binary_to_integer(Num) * 1024.

timer_memory(N) ->
    Self = self(),
    Holder = spawn(fun() ->
        receive go -> ok end,
        hold(N),
        erlang:garbage_collect(),
        Self ! held,
        idle()
    end),
    erlang:garbage_collect(),
    timer:sleep(100),
    Rss0 = rss(),
    Mem0 = erlang:memory(total),
    Holder ! go,
    receive held -> ok end,
    Rss1 = rss(),
    Mem1 = erlang:memory(total),
    result("timer_bytes", (Rss1 - Rss0) / N),
    result("timer_bytes_erlang_memory", (Mem1 - Mem0) / N).

hold(0) -> ok;
hold(N) -> erlang:send_after(3600000, self(), t), hold(N - 1).
