// The one error type of the native layer: an errno and the kernel's extended-ack text (or our own words).
#pragma once

#include <cerrno>
#include <cstring>
#include <string>

struct NlError {
  int err = 0;          // positive errno; 0 means success
  std::string message;  // the kernel's extended-ack text, or our own explanation
};

// The current errno, for the system call or step named by what.
inline NlError Errno(const char* what) {
  const int err = errno;
  return NlError{err, std::string(what) + ": " + strerror(err)};
}
