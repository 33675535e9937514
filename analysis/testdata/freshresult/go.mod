module example.com/freshresult

go 1.26
