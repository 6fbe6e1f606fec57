package codearts

import "time"

// Listing is the outcome of listing every page of one project's tasks, as
// package discovery lists them for itself and on a collection's behalf.
type Listing struct {
	Tasks []ListedTask // every task, with a usable ID; nil when Err is set
	Err   error
	At    time.Time // when the listing ended
}
