#!/usr/bin/env escript
%% -*- erlang -*-
%%
%% control_bench.erl: the Erlang/OTP side of benches/control.rs. Spawns N
%% idle processes, then measures a ping-pong round trip between two
%% processes, alone and while another process lists the top 10 processes by
%% memory as `recon:proc_count(memory, 10)` does (process_info of every
%% process, then the ten largest) over and over. Prints:
%%
%%     result rtt_alone_ns VALUE
%%     result rtt_during_ns VALUE
%%     result ps_ms VALUE        (median time of one top-10 listing)
%%
%% Usage: escript control_bench.erl N ROUNDS

main([NText, RoundsText]) ->
    N = list_to_integer(NText),
    Rounds = list_to_integer(RoundsText),
    Self = self(),
    _Idle = [spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, N)],
    Pong = spawn(fun Pong() -> receive {ping, From} -> From ! pong, Pong() end end),
    Alone = rtt(Pong, Rounds),
    Lister = spawn(fun() -> list_loop(Self, []) end),
    During = rtt(Pong, Rounds),
    Lister ! {stop, Self},
    Times = receive {times, T} -> T end,
    io:format("result rtt_alone_ns ~p~n", [Alone]),
    io:format("result rtt_during_ns ~p~n", [During]),
    io:format("result ps_ms ~p~n", [median(Times)]),
    io:format("~p listings while the round trips ran~n", [length(Times)]).

%% Median nanoseconds per round trip over batches of 10,000.
rtt(Pong, Rounds) ->
    Batches = [batch(Pong, 10000) || _ <- lists:seq(1, Rounds)],
    median(Batches).

batch(Pong, K) ->
    Start = erlang:monotonic_time(nanosecond),
    [begin Pong ! {ping, self()}, receive pong -> ok end end || _ <- lists:seq(1, K)],
    (erlang:monotonic_time(nanosecond) - Start) / K.

list_loop(Parent, Times) ->
    receive
        {stop, Parent} -> Parent ! {times, Times}
    after 0 ->
        Start = erlang:monotonic_time(nanosecond),
        Sized = [{M, P} || P <- erlang:processes(), {memory, M} <- [erlang:process_info(P, memory)]],
        _Top = lists:sublist(lists:reverse(lists:sort(Sized)), 10),
        Ms = (erlang:monotonic_time(nanosecond) - Start) / 1.0e6,
        list_loop(Parent, [Ms | Times])
    end.

median([]) -> 0;
median(List) -> lists:nth((length(List) + 1) div 2, lists:sort(List)).
