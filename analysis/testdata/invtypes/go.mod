module example.com/invtypes

go 1.26

require example.com/relay v0.0.0

replace example.com/relay => ./relay
