// Package sentinel is a minimal Redis Sentinel client for the follower:
// where is the master now (SENTINEL get-master-addr-by-name), and tell me
// when it moves (+switch-master).
//
// Contract:
//
//   - MasterAddr asks the configured sentinels in order, with a timeout
//     each, and returns the first address given; the sentinel that
//     answered is asked first next time (the Sentinel client guidelines).
//     It does not check the address with ROLE: the follower's PSYNC works
//     against a demoted master too (it is then a chained replica), and the
//     next +switch-master or link loss asks again.
//   - Watch holds one subscribed connection at a time, calls fn for every
//     +switch-master of the monitored name (in the caller's goroutine:
//     Watch's), PINGs a quiet sentinel every PingInterval and moves to the
//     next one when it fails. It returns when ctx is done; the caller owns
//     the goroutine that runs it.
//   - Replies are parsed with every length bounded (1 MiB bulk, 4096
//     elements, depth 4); nothing a sentinel sends can make it panic.
//   - Sentinel credentials (Username, Password) are the sentinels' own,
//     never the master's, and never logged.
package sentinel
