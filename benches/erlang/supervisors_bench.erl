#!/usr/bin/env escript
%% -*- erlang -*-
%%! +P 4000000
%%
%% supervisors_bench.erl: the Erlang/OTP side of benches/supervisors.rs.
%% Runs the same workloads as the Warren side with OTP's `supervisor` and
%% prints one machine-readable line per figure:
%%
%%     result KEY VALUE
%%
%% Usage (each run is a fresh VM with default flags: one scheduler per core):
%%
%%     escript supervisors_bench.erl restart N error|exit    % N one_for_one restarts, mean ns
%%     escript supervisors_bench.erl dynamic N               % N simple_one_for_one start_child calls, starts/s
%%     escript supervisors_bench.erl resident supervisor N   % RSS per supervisor with no children
%%     escript supervisors_bench.erl resident idle N         % RSS per process waiting in receive
%%     escript supervisors_bench.erl resident hibernated N   % RSS per hibernated process
%%     escript supervisors_bench.erl one_for_all N ROUNDS    % one_for_all restart of N children, mean ms
%%
%% The logger's level is `none`: the supervisor's reports (child
%% terminated, restarted) and the VM's crash reports are not formatted or
%% printed (Warren's bench binary installs no `tracing` subscriber, so its
%% reports go nowhere either).
%%
%% This module is also the supervisors' callback module (init/1) and has
%% the children's start functions.
-module(supervisors_bench).
-mode(compile).
-export([main/1, init/1, start_worker/1, start_idle/0, idle/0]).

main(Args) ->
    ok = logger:set_primary_config(level, none),
    run(Args).

run(["restart", N, How]) when How =:= "error"; How =:= "exit" ->
    restart_bench(list_to_integer(N), list_to_atom(How));
run(["dynamic", N]) -> dynamic_bench(list_to_integer(N));
run(["resident", Kind, N]) -> resident(Kind, list_to_integer(N));
run(["one_for_all", N, Rounds]) -> one_for_all_bench(list_to_integer(N), list_to_integer(Rounds));
run(Args) ->
    io:format(standard_error, "supervisors_bench: unknown arguments ~p~n", [Args]),
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

%% ------------------------------------------------------ supervisor callback

%% {Strategy, Intensity, Children}: within an hour.
init({simple_one_for_one, Intensity, Template}) ->
    {ok, {#{strategy => simple_one_for_one, intensity => Intensity, period => 3600}, [Template]}};
init({Strategy, Intensity, Children}) ->
    {ok, {#{strategy => Strategy, intensity => Intensity, period => 3600}, Children}};
%% A supervisor with no children and OTP's default flags.
init(empty) ->
    {ok, {#{strategy => one_for_one, intensity => 1, period => 5}, []}}.

%% A permanent worker (OTP's default shutdown: 5000 ms) started by Start.
child(Id, Start) ->
    #{id => Id, start => Start, restart => permanent, shutdown => 5000, type => worker, modules => [?MODULE]}.

%% The worker: tells Driver its pid, then waits; crashes on `error`
%% (erlang:error(crash): a run-time error, with its stack trace) or exits
%% on `exit` (exit(crash)).
start_worker(Driver) ->
    {ok, spawn_link(fun() -> Driver ! {started, self()}, worker_loop() end)}.

worker_loop() ->
    receive
        error -> erlang:error(crash);
        exit -> exit(crash);
        _ -> worker_loop()
    end.

%% The dynamic supervisor's child: a process waiting in receive.
start_idle() ->
    {ok, spawn_link(fun idle/0)}.

%% Takes N `started` messages; returns the sender of the one at index
%% Victim (from 0).
collect(N, Victim) -> collect(0, N, Victim, undefined).

collect(N, N, _Victim, Pid) -> Pid;
collect(I, N, Victim, Pid) ->
    receive
        {started, P} when I =:= Victim -> collect(I + 1, N, Victim, P);
        {started, _} -> collect(I + 1, N, Victim, Pid)
    end.

%% Rounds times: sends How to Victim, takes After reports; returns the
%% total ns.
drive(_Victim, 0, _After, _Index, _How, Total) -> Total;
drive(Victim, Rounds, After, Index, How, Total) ->
    T0 = now_ns(),
    Victim ! How,
    Next = collect(After, Index),
    drive(Next, Rounds - 1, After, Index, How, Total + now_ns() - T0).

%% ---------------------------------------------------------------- restart

restart_bench(Rounds, How) ->
    Ns = in_process(fun() ->
        Self = self(),
        Child = child(w, {?MODULE, start_worker, [Self]}),
        {ok, Sup} = supervisor:start_link(?MODULE, {one_for_one, Rounds + 10, [Child]}),
        First = collect(1, 0),
        Total = drive(First, Rounds, 1, 0, How, 0),
        [{w, _, worker, _}] = supervisor:which_children(Sup),
        unlink(Sup),
        exit(Sup, kill),
        Total
    end),
    result("restart_ns", Ns / Rounds).

%% ---------------------------------------------------------------- dynamic

dynamic_bench(N) ->
    {ok, Sup} = supervisor:start_link(?MODULE, {simple_one_for_one, 10, child(w, {?MODULE, start_idle, []})}),
    Ns = in_process(fun() ->
        T0 = now_ns(),
        start_children(Sup, N),
        now_ns() - T0
    end),
    Active = proplists:get_value(active, supervisor:count_children(Sup)),
    Active = N,
    result("dynamic_starts_per_s", N / (Ns / 1.0e9)).

start_children(_Sup, 0) -> ok;
start_children(Sup, N) ->
    {ok, _} = supervisor:start_child(Sup, []),
    start_children(Sup, N - 1).

%% --------------------------------------------------------------- resident

%% VmRSS of this VM, in bytes.
rss() ->
    {ok, Text} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Text, <<"\n">>, [global]), binary:match(L, <<"VmRSS:">>) =:= {0, 6}],
    [_, Rest] = binary:split(Line, <<":">>),
    [Num | _] = binary:split(string:trim(Rest), <<" ">>),
    binary_to_integer(Num) * 1024.

%% A process makes N of Kind once told, tells how many; the VM's RSS and
%% erlang:memory(total) are read before and after.
resident(Kind, N) ->
    Self = self(),
    Maker = spawn(fun() ->
        receive go -> ok end,
        First = make(Kind, N, undefined),
        erlang:garbage_collect(),
        Self ! {made, First},
        idle()
    end),
    erlang:garbage_collect(),
    timer:sleep(200),
    Rss0 = rss(),
    Mem0 = erlang:memory(total),
    Maker ! go,
    First = receive {made, F} -> F end,
    timer:sleep(200),
    Rss1 = rss(),
    Mem1 = erlang:memory(total),
    {memory, Info} = erlang:process_info(First, memory),
    result("resident_bytes", (Rss1 - Rss0) / N),
    result("resident_bytes_erlang_memory", (Mem1 - Mem0) / N),
    result("process_info_memory", Info).

%% Makes N; returns the first.
make(_Kind, 0, First) -> First;
make(Kind, N, First) ->
    Pid = make_one(Kind),
    make(Kind, N - 1, case First of undefined -> Pid; _ -> First end).

make_one("supervisor") ->
    {ok, Sup} = supervisor:start_link(?MODULE, empty),
    Sup;
make_one("idle") ->
    spawn(fun idle/0);
make_one("hibernated") ->
    spawn(fun() -> erlang:hibernate(?MODULE, idle, []) end).

%% ------------------------------------------------------------ one_for_all

one_for_all_bench(N, Rounds) ->
    Ns = in_process(fun() ->
        Self = self(),
        Children = [child(I, {?MODULE, start_worker, [Self]}) || I <- lists:seq(0, N - 1)],
        {ok, Sup} = supervisor:start_link(?MODULE, {one_for_all, Rounds + 10, Children}),
        Victim = collect(N, N div 2),
        Total = drive(Victim, Rounds, N, N div 2, error, 0),
        N = length(supervisor:which_children(Sup)),
        unlink(Sup),
        exit(Sup, kill),
        Total
    end),
    result("one_for_all_ms", Ns / Rounds / 1.0e6).
