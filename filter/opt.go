package filter

// optimize simplifies the block graph rooted at root in place.
func optimize(root *blk) {}
