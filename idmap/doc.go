// Package idmap owns the user and group id mappings of a sandbox's user
// namespace: parsing and validating uid_map/gid_map text, reading the
// subordinate id ranges of /etc/subuid and /etc/subgid, planning the maps a
// profile asks for, and writing them for a child process, either directly
// (a single id, which any user may map to itself) or through the setuid
// helpers newuidmap and newgidmap (ranges).
package idmap
