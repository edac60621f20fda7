#!/usr/bin/env escript
%% -*- erlang -*-
%%! +P 4000000
%%
%% tasks_bench.erl: the Erlang/OTP side of benches/tasks.rs. Erlang/OTP 25
%% has no Elixir, so this is Elixir's `Task.async_stream` written out in
%% Erlang as Task.Supervised.stream does it: at most MaxConcurrency tasks
%% at a time, each spawned linked and monitored by the caller, sending
%% `{Ref, Result}`; results buffered and emitted in the items' order (the
%% default `ordered: true`), no timeout (`timeout: :infinity`), as the
%% Warren side. Prints one machine-readable line per figure:
%%
%%     result KEY VALUE
%%
%% Usage:
%%
%%     escript tasks_bench.erl stream N MAX_CONCURRENCY   % items/s over 0..N-1, task = 2 * X
-module(tasks_bench).
-mode(compile).
-export([main/1]).

main(["stream", N, Max]) ->
    stream_bench(list_to_integer(N), list_to_integer(Max));
main(Args) ->
    io:format(standard_error, "tasks_bench: unknown arguments ~p~n", [Args]),
    halt(2).

result(Key, Value) -> io:format("result ~s ~p~n", [Key, Value]).

now_ns() -> erlang:monotonic_time(nanosecond).

stream_bench(N, Max) ->
    Self = self(),
    %% In a fresh process, as the Warren side's driver is one.
    {Pid, Ref} = spawn_monitor(fun() ->
        T0 = now_ns(),
        Sum = stream(N, Max),
        Self ! {self(), Sum, now_ns() - T0}
    end),
    receive
        {Pid, Sum, Ns} ->
            erlang:demonitor(Ref, [flush]),
            Expected = N * (N - 1),
            Sum =:= Expected orelse error({wrong_sum, Sum, Expected}),
            result("stream_ns", Ns),
            result("items_per_s", N * 1.0e9 / Ns);
        {'DOWN', Ref, process, Pid, Reason} -> error({bench_process_died, Reason})
    end.

%% The sum of 2 * X over 0..N-1, each in a task, in order.
stream(N, Max) -> loop(0, N, Max, #{}, 0, #{}, 0, 0).

%% Next: the next item to start; Running: Ref => Index; Out: the next index
%% to emit; Done: Index => Result not yet emitted.
loop(Next, N, Max, Running, Out, Done, Sum, Count) when Next < N, Count < Max ->
    Owner = self(),
    Item = Next,
    {Pid, MRef} = spawn_monitor(fun() ->
        receive {go, Ref} -> Owner ! {Ref, 2 * Item} end
    end),
    link(Pid),
    Pid ! {go, MRef},
    loop(Next + 1, N, Max, Running#{MRef => Item}, Out, Done, Sum, Count + 1);
loop(Next, N, _Max, _Running, Out, _Done, Sum, 0) when Next >= N, Out >= N ->
    Sum;
loop(Next, N, Max, Running, Out, Done, Sum, Count) ->
    receive
        {Ref, Result} when is_map_key(Ref, Running) ->
            erlang:demonitor(Ref, [flush]),
            {Index, Running1} = maps:take(Ref, Running),
            {Out1, Done1, Sum1} = emit(Out, Done#{Index => Result}, Sum),
            loop(Next, N, Max, Running1, Out1, Done1, Sum1, Count - 1);
        {'DOWN', Ref, process, _, Reason} when is_map_key(Ref, Running) ->
            exit({task_failed, Reason})
    end.

emit(Out, Done, Sum) ->
    case maps:take(Out, Done) of
        {Result, Done1} -> emit(Out + 1, Done1, Sum + Result);
        error -> {Out, Done, Sum}
    end.
