shardkit-ring 1
algorithm jump
node a
node b
node c
