package probe

// windowsHelperCmdLine is the command line Node's child_process.exec — and
// so Claude Code — gives cmd.exe for a headersHelper: `/d` skips AutoRun,
// `/s` makes cmd strip exactly the outer quotes, and the command goes in
// verbatim. Go's own quoting would turn "C:\tools\hdr.cmd" into
// \"C:\tools\hdr.cmd\", which cmd does not undo.
func windowsHelperCmdLine(command string) string {
	return `cmd.exe /d /s /c "` + command + `"`
}
