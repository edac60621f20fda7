#!/usr/bin/env escript
%% -*- erlang -*-
%%! +P 4000000
%%
%% control_bench.erl: the Erlang/OTP side of benches/control.rs. Spawns N
%% idle processes, then measures a ping-pong round trip between two
%% processes, alone and while another process lists the top 10 processes by
%% memory as `recon:proc_count(memory, 10)` does (process_info of every
%% process, then the ten largest) over and over. Prints:
%%
%%     result rtt_alone_ns VALUE      (median of batches of 10,000)
%%     result rtt_during_ns VALUE
%%     result mean_alone_ns VALUE     (all round trips of the phase)
%%     result mean_during_ns VALUE
%%     result ps_ms VALUE             (median time of one top-10 listing)
%%
%% The phase with listings lasts until LISTINGS of them are done.
%%
%% Usage: escript control_bench.erl N LISTINGS

-mode(compile).

main([NText, ListingsText]) ->
    N = list_to_integer(NText),
    Listings = list_to_integer(ListingsText),
    Self = self(),
    _Idle = [spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, N)],
    Pong = spawn(fun Pong() -> receive {ping, From} -> From ! pong, Pong() end end),
    Alone = batches(Pong, fun(Batches) -> length(Batches) >= 200 end),
    Lister = spawn(fun() -> list_loop(Self, []) end),
    During = batches(Pong, fun(_) -> receive listed -> true after 0 -> false end end, Listings),
    Lister ! {stop, Self},
    Times = receive {times, T} -> T end,
    io:format("result rtt_alone_ns ~p~n", [median(Alone)]),
    io:format("result rtt_during_ns ~p~n", [median(During)]),
    io:format("result mean_alone_ns ~p~n", [lists:sum(Alone) / length(Alone)]),
    io:format("result mean_during_ns ~p~n", [lists:sum(During) / length(During)]),
    io:format("result ps_ms ~p~n", [median(Times)]),
    io:format("~p listings while the round trips ran~n", [length(Times)]).

%% Batches of 10,000 round trips (nanoseconds per trip) until `Done`.
batches(Pong, Done) -> batches(Pong, Done, []).
batches(Pong, Done, Acc) when is_list(Acc) ->
    Acc1 = [batch(Pong, 10000) | Acc],
    case Done(Acc1) of true -> Acc1; false -> batches(Pong, Done, Acc1) end;
%% ... until `Left` listings are reported done.
batches(Pong, Listed, Left) -> batches(Pong, Listed, Left, []).
batches(_Pong, _Listed, 0, Acc) -> Acc;
batches(Pong, Listed, Left, Acc) ->
    Acc1 = [batch(Pong, 10000) | Acc],
    case Listed(Acc1) of true -> batches(Pong, Listed, Left - 1, Acc1); false -> batches(Pong, Listed, Left, Acc1) end.

batch(Pong, K) ->
    Start = erlang:monotonic_time(nanosecond),
    [begin Pong ! {ping, self()}, receive pong -> ok end end || _ <- lists:seq(1, K)],
    (erlang:monotonic_time(nanosecond) - Start) / K.

list_loop(Parent, Times) ->
    receive
        {stop, Parent} -> Parent ! {times, lists:reverse(Times)}
    after 0 ->
        Start = erlang:monotonic_time(nanosecond),
        Sized = [{M, P} || P <- erlang:processes(), {memory, M} <- [erlang:process_info(P, memory)]],
        _Top = lists:sublist(lists:reverse(lists:sort(Sized)), 10),
        Ms = (erlang:monotonic_time(nanosecond) - Start) / 1.0e6,
        Parent ! listed,
        list_loop(Parent, [Ms | Times])
    end.

median([]) -> 0;
median(List) -> lists:nth((length(List) + 1) div 2, lists:sort(List)).
