module example.com/aggregates

go 1.26
