#include "rule_napi.h"

#include <sys/socket.h>

#include <utility>
#include <vector>

#include "change_batch_napi.h"
#include "napi_errors.h"
#include "napi_fields.h"
#include "rule_operations.h"

namespace {

// The optional fields, with the bit that says they are present and where they live in a Rule.
struct U32Field {
  const char* name;
  uint32_t bit;
  uint32_t Rule::*member;
};
constexpr U32Field kU32Fields[] = {
    {"priority", Rule::kPriority, &Rule::priority},
    {"fwmark", Rule::kFwmark, &Rule::fwmark},
    {"fwmask", Rule::kFwmask, &Rule::fwmask},
    {"goto", Rule::kGoto, &Rule::goto_target},
    {"suppressPrefixLength", Rule::kSuppressPrefixLength, &Rule::suppress_prefix_length},
    {"suppressIfgroup", Rule::kSuppressIfgroup, &Rule::suppress_ifgroup},
    {"flow", Rule::kFlow, &Rule::flow},
};

struct RangeField {
  const char* start;
  const char* end;
  uint32_t bit;
};
constexpr RangeField kUidRange{"uidStart", "uidEnd", Rule::kUidRange};
constexpr RangeField kSport{"sportStart", "sportEnd", Rule::kSport};
constexpr RangeField kDport{"dportStart", "dportEnd", Rule::kDport};

void Address(Napi::Env env, Napi::Object object, const char* name, uint32_t bit, uint8_t* out, Rule* rule) {
  if (!Has(object, name)) return;
  CopyAddress(env, object, name, rule->family, out, "rule address");
  rule->present |= bit;
}

}  // namespace

Napi::Array RulesToJs(Napi::Env env, const std::vector<Rule>& rules) {
  Napi::Array out = Napi::Array::New(env, rules.size());
  for (size_t i = 0; i < rules.size(); i++) {
    const Rule& r = rules[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("family", r.family);
    o.Set("action", r.action);
    o.Set("flags", r.flags);
    o.Set("table", r.table);
    o.Set("srcLen", r.src_len);
    o.Set("dstLen", r.dst_len);
    o.Set("tos", r.tos);
    for (const U32Field& f : kU32Fields)
      if (r.present & f.bit) o.Set(f.name, r.*f.member);
    if (r.present & Rule::kSrc) o.Set("src", AddressText(r.family, r.src));
    if (r.present & Rule::kDst) o.Set("dst", AddressText(r.family, r.dst));
    if (r.present & Rule::kIif) o.Set("iif", r.iif);
    if (r.present & Rule::kOif) o.Set("oif", r.oif);
    if (r.present & Rule::kIpProto) o.Set("ipProto", r.ip_proto);
    if (r.present & Rule::kProtocol) o.Set("protocol", r.protocol);
    const std::pair<RangeField, std::pair<uint32_t, uint32_t>> ranges[] = {{kUidRange, {r.uid_start, r.uid_end}},
                                                                           {kSport, {r.sport_start, r.sport_end}},
                                                                           {kDport, {r.dport_start, r.dport_end}}};
    for (const auto& [field, range] : ranges) {
      if (!(r.present & field.bit)) continue;
      o.Set(field.start, range.first);
      o.Set(field.end, range.second);
    }
    out.Set(i, o);
  }
  return out;
}

namespace {

Rule RuleFromJs(Napi::Env env, Napi::Object object) {
  Rule rule;
  rule.family = static_cast<uint8_t>(U32(object, "family"));
  if (rule.family != AF_INET && rule.family != AF_INET6) throw Napi::TypeError::New(env, "invalid rule family");
  rule.action = static_cast<uint8_t>(U32(object, "action"));
  rule.flags = U32(object, "flags");
  rule.table = U32(object, "table");
  if (rule.table > 255) rule.present |= Rule::kTable;
  rule.src_len = static_cast<uint8_t>(U32(object, "srcLen"));
  rule.dst_len = static_cast<uint8_t>(U32(object, "dstLen"));
  rule.tos = static_cast<uint8_t>(U32(object, "tos"));
  for (const U32Field& f : kU32Fields) {
    if (!Has(object, f.name)) continue;
    rule.*f.member = U32(object, f.name);
    rule.present |= f.bit;
  }
  Address(env, object, "src", Rule::kSrc, rule.src, &rule);
  Address(env, object, "dst", Rule::kDst, rule.dst, &rule);
  if (Has(object, "iif")) {
    rule.iif = object.Get("iif").As<Napi::String>().Utf8Value();
    rule.present |= Rule::kIif;
  }
  if (Has(object, "oif")) {
    rule.oif = object.Get("oif").As<Napi::String>().Utf8Value();
    rule.present |= Rule::kOif;
  }
  if (Has(object, "ipProto")) {
    rule.ip_proto = static_cast<uint8_t>(U32(object, "ipProto"));
    rule.present |= Rule::kIpProto;
  }
  if (Has(object, "protocol")) {
    rule.protocol = static_cast<uint8_t>(U32(object, "protocol"));
    rule.present |= Rule::kProtocol;
  }
  if (Has(object, kUidRange.start)) {
    rule.uid_start = U32(object, kUidRange.start);
    rule.uid_end = U32(object, kUidRange.end);
    rule.present |= Rule::kUidRange;
  }
  if (Has(object, kSport.start)) {
    rule.sport_start = static_cast<uint16_t>(U32(object, kSport.start));
    rule.sport_end = static_cast<uint16_t>(U32(object, kSport.end));
    rule.present |= Rule::kSport;
  }
  if (Has(object, kDport.start)) {
    rule.dport_start = static_cast<uint16_t>(U32(object, kDport.start));
    rule.dport_end = static_cast<uint16_t>(U32(object, kDport.end));
    rule.present |= Rule::kDport;
  }
  return rule;
}

}  // namespace

Napi::Value ListRulesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<int> families(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) families[i] = list.Get(i).As<Napi::Number>().Int32Value();
  std::vector<Rule> rules;
  ThrowIf(env, ReadRules(socket.get(), families, &rules));
  return RulesToJs(env, rules);
}

Napi::Value ChangeRulesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<RuleChange> changes(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Object change = list.Get(i).As<Napi::Object>();
    changes[i].add = change.Get("add").ToBoolean().Value();
    changes[i].rule = RuleFromJs(env, change.Get("rule").As<Napi::Object>());
  }
  const size_t count = changes.size();
  return ApplyChangeBatch(env, count, info[1].ToBoolean().Value(),
                          [socket, changes = std::move(changes)](ChangeFailures* failures) {
                            return ChangeRules(socket.get(), changes, failures);
                          });
}
