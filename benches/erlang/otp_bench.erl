#!/usr/bin/env escript
%% -*- erlang -*-
%%! +P 4000000
%%
%% otp_bench.erl: the Erlang/OTP side of benches/otp.rs. Runs the same
%% workloads as the Warren side and prints one machine-readable line per
%% figure:
%%
%%     result KEY VALUE
%%
%% Usage (each run is a fresh VM with default flags: one scheduler per core):
%%
%%     escript otp_bench.erl call ROUNDS          % gen_server:call round trip
%%     escript otp_bench.erl cast N               % N gen_server:cast, then a call
%%     escript otp_bench.erl call_after_idle ROUNDS IDLE_MS  % one call to a server idle that long
%%     escript otp_bench.erl skynet LEAVES        % the classic skynet
%%     escript otp_bench.erl pipeline EVENTS MAX  % a demand-driven three-stage pipeline
%%     escript otp_bench.erl servers N idle|hibernate  % RSS per gen_server
%%
%% Erlang/OTP has no GenStage (it is an Elixir library), so `pipeline` is a
%% minimal demand-driven producer -> producer-consumer -> consumer written
%% here with GenStage's demand rules: each consumer asks MAX events at
%% first, takes them in batches of MAX - MIN (MIN = 3/4 of MAX) and asks
%% for a batch's worth again after each batch; the producer sends only what
%% was asked; the producer-consumer passes events on (each plus one) only
%% within its consumer's demand and asks upstream as it passes them.
-module(otp_bench).
-mode(compile).
-behaviour(gen_server).
-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).

main(["call", R]) -> call_bench(list_to_integer(R));
main(["cast", N]) -> cast_bench(list_to_integer(N));
main(["call_after_idle", R, Ms]) -> call_after_idle_bench(list_to_integer(R), list_to_integer(Ms));
main(["skynet", N]) -> skynet_bench(list_to_integer(N));
main(["pipeline", N, Max]) -> pipeline_bench(list_to_integer(N), list_to_integer(Max));
main(["servers", N, Kind]) -> servers_bench(list_to_integer(N), list_to_atom(Kind));
main(Args) ->
    io:format(standard_error, "otp_bench: unknown arguments ~p~n", [Args]),
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

%% ------------------------------------------------------------ gen_server

init(hibernate) -> {ok, 0, hibernate};
init(_) -> {ok, 0}.
handle_call({echo, N}, _From, Casts) -> {reply, N, Casts};
handle_call(casts, _From, Casts) -> {reply, Casts, Casts}.
handle_cast(_, Casts) -> {noreply, Casts + 1}.

calls(_, 0) -> ok;
calls(Server, N) ->
    N = gen_server:call(Server, {echo, N}, infinity),
    calls(Server, N - 1).

call_bench(Rounds) ->
    Runs = [in_process(fun() ->
                {ok, Server} = gen_server:start_link(?MODULE, [], []),
                calls(Server, 1000),
                T0 = now_ns(),
                calls(Server, Rounds),
                T = now_ns() - T0,
                gen_server:stop(Server),
                T
            end) || _ <- lists:seq(1, 3)],
    result("call_ns", median(Runs) / Rounds).

%% ROUNDS times: a new server, a first call, IDLE_MS of waiting, then one
%% call timed alone.
call_after_idle_bench(Rounds, IdleMs) ->
    T = in_process(fun() ->
            lists:sum([begin
                           {ok, Server} = gen_server:start_link(?MODULE, [], []),
                           N = gen_server:call(Server, {echo, N}, infinity),
                           timer:sleep(IdleMs),
                           T0 = now_ns(),
                           N = gen_server:call(Server, {echo, N}, infinity),
                           T1 = now_ns() - T0,
                           gen_server:stop(Server),
                           T1
                       end || N <- lists:seq(1, Rounds)])
        end),
    result("call_after_idle_ns", T / Rounds).

casts(_, 0) -> ok;
casts(Server, N) -> gen_server:cast(Server, N), casts(Server, N - 1).

cast_bench(N) ->
    Runs = [in_process(fun() ->
                {ok, Server} = gen_server:start_link(?MODULE, [], []),
                T0 = now_ns(),
                casts(Server, N),
                N = gen_server:call(Server, casts, infinity),
                T = now_ns() - T0,
                gen_server:stop(Server),
                T
            end) || _ <- lists:seq(1, 3)],
    result("casts_per_s", N / (median(Runs) / 1.0e9)).

%% ---------------------------------------------------------------- skynet

skynet(Parent, Num, 1) -> Parent ! {sum, Num};
skynet(Parent, Num, Size) ->
    Self = self(),
    Child = Size div 10,
    [spawn(fun() -> skynet(Self, Num + I * Child, Child) end) || I <- lists:seq(0, 9)],
    Parent ! {sum, collect(10, 0)}.

collect(0, Sum) -> Sum;
collect(N, Sum) -> receive {sum, S} -> collect(N - 1, Sum + S) end.

skynet_bench(Leaves) ->
    Runs = [in_process(fun() ->
                T0 = now_ns(),
                Self = self(),
                spawn(fun() -> skynet(Self, 0, Leaves) end),
                Sum = receive {sum, S} -> S end,
                Sum = Leaves * (Leaves - 1) div 2,
                now_ns() - T0
            end) || _ <- lists:seq(1, 3)],
    result("skynet_ms", median(Runs) / 1.0e6).

%% -------------------------------------------------------------- pipeline

producer(Next) ->
    receive
        {ask, To, N} ->
            To ! {events, lists:seq(Next, Next + N - 1)},
            producer(Next + N)
    end.

batch(Max) -> Max - Max * 3 div 4.

%% Demand: what the consumer has asked for and not got; Queue: events
%% taken from upstream, waiting for that demand; Passed: events passed on
%% since the last ask upstream.
relay(Up, Down, Max, Demand, Queue, Passed) ->
    receive
        {ask, Down, N} -> flush(Up, Down, Max, Demand + N, Queue, Passed);
        {events, Events} -> flush(Up, Down, Max, Demand, Queue ++ Events, Passed)
    end.

flush(Up, Down, Max, Demand, Queue, Passed) when Demand > 0, Queue =/= [] ->
    {Out, Rest} = take(min(Demand, length(Queue)), Queue),
    Down ! {events, [E + 1 || E <- Out]},
    Sent = length(Out),
    ask_up(Up, Down, Max, Demand - Sent, Rest, Passed + Sent);
flush(Up, Down, Max, Demand, Queue, Passed) ->
    relay(Up, Down, Max, Demand, Queue, Passed).

ask_up(Up, Down, Max, Demand, Queue, Passed) ->
    B = batch(Max),
    case Passed >= B of
        true -> Up ! {ask, self(), B}, ask_up(Up, Down, Max, Demand, Queue, Passed - B);
        false -> flush(Up, Down, Max, Demand, Queue, Passed)
    end.

take(N, List) -> lists:split(N, List).

consumer(Parent, Up, Max, Left, Sum, Taken) ->
    receive
        {events, Events} ->
            {Left1, Sum1} = sum(Events, Left, Sum),
            Taken1 = Taken + length(Events),
            B = batch(Max),
            Taken2 = ask_batches(Up, B, Taken1),
            case Left1 of
                0 -> Parent ! {done, Sum1};
                _ -> consumer(Parent, Up, Max, Left1, Sum1, Taken2)
            end
    end.

ask_batches(Up, B, Taken) when Taken >= B -> Up ! {ask, self(), B}, ask_batches(Up, B, Taken - B);
ask_batches(_, _, Taken) -> Taken.

sum([], Left, Sum) -> {Left, Sum};
sum(_, 0, Sum) -> {0, Sum};
sum([E | Es], Left, Sum) -> sum(Es, Left - 1, Sum + E).

pipeline_bench(Events, Max) ->
    Runs = [in_process(fun() ->
                Self = self(),
                T0 = now_ns(),
                Producer = spawn_link(fun() -> producer(0) end),
                Relay = spawn_link(fun() ->
                    receive {consumer, Down} -> ok end,
                    Producer ! {ask, self(), Max},
                    relay(Producer, Down, Max, 0, [], 0)
                end),
                Consumer = spawn_link(fun() ->
                    Relay ! {ask, self(), Max},
                    consumer(Self, Relay, Max, Events, 0, 0)
                end),
                Relay ! {consumer, Consumer},
                Sum = receive {done, S} -> S end,
                Sum = Events * (Events + 1) div 2,
                T = now_ns() - T0,
                unlink(Producer), exit(Producer, kill),
                unlink(Relay), exit(Relay, kill),
                T
            end) || _ <- lists:seq(1, 3)],
    result("pipeline_events_per_s", Events / (median(Runs) / 1.0e9)).

%% ------------------------------------------------------------ resident

rss() ->
    {ok, Text} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Text, <<"\n">>, [global]), binary:match(L, <<"VmRSS:">>) =:= {0, 6}],
    [_, Rest] = binary:split(Line, <<":">>),
    [Num | _] = binary:split(string:trim(Rest), <<" ">>),
    binary_to_integer(Num) * 1024.

start_servers(0, _) -> ok;
start_servers(N, Kind) ->
    {ok, _} = gen_server:start(?MODULE, Kind, []),
    start_servers(N - 1, Kind).

servers_bench(N, Kind) ->
    erlang:garbage_collect(),
    timer:sleep(200),
    Rss0 = rss(),
    Mem0 = erlang:memory(total),
    Self = self(),
    spawn(fun() -> start_servers(N, Kind), Self ! started end),
    receive started -> ok end,
    timer:sleep(500),
    Rss1 = rss(),
    Mem1 = erlang:memory(total),
    result("server_bytes", (Rss1 - Rss0) / N),
    result("server_bytes_erlang_memory", (Mem1 - Mem0) / N).
