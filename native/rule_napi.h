// Rules between C++ and JS (NativeRule in src/netlink/native.ts): plain objects holding only the fields
// present, in the kernel's numbers; addresses as text going out, as bytes coming in.
#pragma once

#include <napi.h>

#include <vector>

#include "rule_codec.h"

Napi::Array RulesToJs(Napi::Env env, const std::vector<Rule>& rules);
// Throws a TypeError on a malformed object (src/netlink/rule-spec.ts validates before it gets here).
Rule RuleFromJs(Napi::Env env, Napi::Object object);
