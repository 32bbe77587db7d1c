// Kernel settings under /proc/sys/net, in a socket's network namespace: the file is opened by the calling thread
// inside the namespace (namespace_helper.h's RunInNamespace; the kernel binds a /proc/sys/net file to its opener's
// namespace), then read or written here.
#pragma once

#include <string>

#include "nl_error.h"

// name: a path under /proc/sys that starts with "net/" (no "..", no empty parts; EINVAL otherwise).
// The value read has its trailing newline removed.
NlError ReadSysctl(int ns_fd, const std::string& name, std::string* value);
NlError WriteSysctl(int ns_fd, const std::string& name, const std::string& value);
