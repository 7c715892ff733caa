package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// readBuildInfo is debug.ReadBuildInfo, a variable so tests can give it
// the build information of a released module.
var readBuildInfo = debug.ReadBuildInfo

// versionLine says which spamtrace this is: the module version the binary
// was built from ("v1.2.0" from go install, a pseudo-version or "(devel)"
// from a checkout), the VCS revision when the build recorded one, and the
// Go toolchain.
func versionLine() string {
	v := "(unknown)"
	var extra []string
	if bi, ok := readBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if modified == "true" {
				rev += " (modified)"
			}
			extra = append(extra, "revision "+rev)
		}
	}
	extra = append(extra, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)
	return "spamtrace " + v + " (" + strings.Join(extra, ", ") + ")"
}
