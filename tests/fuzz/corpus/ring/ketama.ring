shardkit-ring 1
algorithm ketama
node 10.0.1.1:11211 weight=600
node 10.0.1.2:11211 weight=300
