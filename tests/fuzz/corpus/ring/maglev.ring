shardkit-ring 1
algorithm maglev hash=xxh64 table-size=251
node a endpoint=ipc:///tmp/a
node b curve-key=rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7
