package seccomp

// Policy is what a profile says about system calls. The zero value means
// the default filter with errno actions.
type Policy struct {
	// Base is the rule set to start from: "default" or "none".
	Base string `json:"base,omitempty"`
	// Action is what a denied call gets: "errno" (the rule's errno, EPERM
	// unless the rule says otherwise), "kill" (the process) or "log" (allowed
	// but logged by the kernel).
	Action string `json:"action,omitempty"`
	// Allow names system calls and @groups taken out of the denied set.
	Allow []string `json:"allow,omitempty"`
	// Deny names system calls and @groups added to the denied set.
	Deny []string `json:"deny,omitempty"`
	// NestedUserns lets the app create user namespaces (and with them the
	// other kinds), for apps that sandbox themselves.
	NestedUserns bool `json:"nested_userns,omitempty"`
}
