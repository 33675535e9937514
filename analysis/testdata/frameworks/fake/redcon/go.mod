module github.com/tidwall/redcon

go 1.26
