// What PosixEnv and FaultInjectionEnv share, private to lib/src/core.
#pragma once

#include <string>

#include "sluice/status.h"

namespace sluice {

// Failing to create something is kPermissionDenied when access was denied,
// kIoError on a read-only file system, else kCannotCreate (not kNotFound or
// kIoError as the errno alone suggests). `what` names the operation and path.
Status creation_error(int err, const std::string& what);

}  // namespace sluice
