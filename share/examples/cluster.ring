shardkit-ring 1
# An example five-node cluster over three racks. Weights are relative: c has
# twice the capacity of the others. Endpoints may change without moving keys;
# the node name is what gets hashed.
algorithm ring vnodes=160 hash=xxh3
node a endpoint=tcp://127.0.0.1:7101 weight=1 zone=rack1
node b endpoint=tcp://127.0.0.1:7102 weight=1 zone=rack1
node c endpoint=tcp://127.0.0.1:7103 weight=2 zone=rack2
node d endpoint=tcp://127.0.0.1:7104 weight=1 zone=rack2
node e endpoint=tcp://127.0.0.1:7105 weight=1 zone=rack3
