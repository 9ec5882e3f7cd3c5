//! /etc/cgrules.conf and /etc/cgrules.d/*: which group a process belongs in, for cgexec and
//! cgclassify without -g: filled in by the issue-4 work on those tools.
