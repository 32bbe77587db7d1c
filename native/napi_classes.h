// The addon's JS classes, per environment (Node's main thread and each worker thread load the addon into an
// environment of their own): made by Init (addon.cc), used by the calls that return an object of one.
#pragma once

#include <napi.h>

struct Classes {
  Napi::FunctionReference route_socket, route_dump, watch, firewall;
};
