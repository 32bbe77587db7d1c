// Rules between C++ and JS (NativeRule in src/netlink/native.ts): plain objects holding only the fields
// present, in the kernel's numbers; addresses as text going out, as bytes coming in; and the RouteSocket
// handle's rule calls.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "netlink_socket.h"
#include "rule_codec.h"

Napi::Array RulesToJs(Napi::Env env, const std::vector<Rule>& rules);

// listRules(families: number[]): rules (synchronous: rules are few)
Napi::Value ListRulesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);

// changeRules(changes: { add: boolean, rule }[], async: boolean): { errors: Int32Array (an errno per change),
// messages: the kernel's text by change }, the changes pipelined; with async a promise of it (the batch applied on
// the pool: change_batch_napi.h). Throws a TypeError on a malformed rule, before anything is sent
// (src/netlink/rule-spec.ts validates before it gets here).
Napi::Value ChangeRulesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket);
