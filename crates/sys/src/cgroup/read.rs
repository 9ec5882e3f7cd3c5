//! Reading groups for the listing tools (cgget, cgxget, lscgroup, lssubsys): filled in by
//! the issue-4 work on those tools.
