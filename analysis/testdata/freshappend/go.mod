module example.com/freshappend

go 1.26
