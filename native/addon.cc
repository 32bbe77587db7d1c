// The N-API surface: the RouteSocket handle and the module's Init. The handle unpacks the JS arguments, calls the
// operations of operations.h and of each kernel object's *_operations.h (which do the kernel work without N-API,
// and which the fuzz targets drive too), turns their results into JS values (each object's *_napi.h), and runs
// them on the right thread. Per-handle serialization of calls is done in JS (src/netlink/socket.ts).
//
// Which calls run where: requests whose kernel cost does not grow with the routing table (opening a socket,
// a route lookup, a link lookup or link list, a few route changes) run synchronously on the calling thread:
// the kernel handles a request inside sendmsg, so its answer is waiting when recvmsg is called, and a
// round trip through the libuv pool would cost several times the kernel's work. Large batches of changes run
// on the pool (AsyncWorker). Route dumps (route_dump_napi.h) and watches (watch_napi.h) are objects of their
// own, read by a thread of their own (reader_thread.h).
#include <napi.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "address_napi.h"
#include "address_operations.h"
#include "host_calls.h"
#include "link_change.h"
#include "link_napi.h"
#include "napi_classes.h"
#include "napi_errors.h"
#include "nft_napi.h"
#include "operations.h"
#include "route_dump_napi.h"
#include "route_napi.h"
#include "rule_napi.h"
#include "rule_operations.h"
#include "sock_diag_napi.h"
#include "sysctl.h"
#include "watch_napi.h"

namespace {

using SocketPtr = std::shared_ptr<NetlinkSocket>;

std::vector<std::string> Strings(Napi::Array list) {
  std::vector<std::string> out(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) out[i] = list.Get(i).As<Napi::String>().Utf8Value();
  return out;
}

// Failures as JS wants them: an errno per change (0 for success) and the kernel's text where it gave one.
Napi::Object ChangeResultsToJs(Napi::Env env, size_t count, const std::vector<std::pair<size_t, NlError>>& failures) {
  Napi::Int32Array errors = Napi::Int32Array::New(env, count);
  Napi::Array messages = Napi::Array::New(env);
  for (const auto& f : failures) {
    errors[f.first] = f.second.err;
    if (!f.second.message.empty()) messages.Set(static_cast<uint32_t>(f.first), f.second.message);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("errors", errors);
  out.Set("messages", messages);
  return out;
}

// A worker that settles a promise: Run() does the kernel work off the main thread, Result() builds the value.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Start() {
    Queue();
    return deferred_.Promise();
  }

 protected:
  virtual NlError Run() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;
  void Execute() override { failure_ = Run(); }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failure_.err) {
      deferred_.Reject(ToJsError(env, failure_).Value());
      return;
    }
    try {
      deferred_.Resolve(Result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  NlError failure_;
};

// Many route changes pipelined to the kernel on the pool; every change gets its own result.
class ChangeWorker : public PromiseWorker {
 public:
  ChangeWorker(Napi::Env env, SocketPtr socket, std::vector<uint8_t> records, std::vector<RouteChangeRareFields> rare)
      : PromiseWorker(env), socket_(std::move(socket)), records_(std::move(records)), rare_(std::move(rare)) {}

 protected:
  NlError Run() override {
    return ApplyChanges(socket_.get(), records_.data(), records_.size() / record::kSize, rare_, &failures_);
  }
  Napi::Value Result(Napi::Env env) override {
    return ChangeResultsToJs(env, records_.size() / record::kSize, failures_);
  }

 private:
  SocketPtr socket_;
  std::vector<uint8_t> records_;
  std::vector<RouteChangeRareFields> rare_;
  std::vector<std::pair<size_t, NlError>> failures_;
};

class RouteSocketHandle : public Napi::ObjectWrap<RouteSocketHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RouteSocketHandle",
                       {
                           InstanceMethod("dumpRoutes", &RouteSocketHandle::DumpRoutes),
                           InstanceMethod("getRoute", &RouteSocketHandle::GetRoute),
                           InstanceMethod("getRoutes", &RouteSocketHandle::GetRoutes),
                           InstanceMethod("change", &RouteSocketHandle::Change),
                           InstanceMethod("listLinks", &RouteSocketHandle::ListLinks),
                           InstanceMethod("linkIndexes", &RouteSocketHandle::LinkIndexes),
                           InstanceMethod("getLinks", &RouteSocketHandle::GetLinks),
                           InstanceMethod("netnsCookie", &RouteSocketHandle::NetnsCookie),
                           InstanceMethod("watch", &RouteSocketHandle::Watch),
                           InstanceMethod("listRules", &RouteSocketHandle::ListRules),
                           InstanceMethod("changeRule", &RouteSocketHandle::ChangeRule),
                           InstanceMethod("listAddresses", &RouteSocketHandle::ListAddresses),
                           InstanceMethod("changeAddress", &RouteSocketHandle::ChangeAddress),
                           InstanceMethod("setLink", &RouteSocketHandle::SetLink),
                           InstanceMethod("getSysctl", &RouteSocketHandle::GetSysctl),
                           InstanceMethod("setSysctl", &RouteSocketHandle::SetSysctl),
                           InstanceMethod("listSockets", &RouteSocketHandle::ListSockets),
                           InstanceMethod("destroySockets", &RouteSocketHandle::DestroySockets),
                           InstanceMethod("close", &RouteSocketHandle::Close),
                       });
  }

  explicit RouteSocketHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RouteSocketHandle>(info) {
    socket_.reset(info[0].As<Napi::External<NetlinkSocket>>().Data());
  }

 private:
  SocketPtr Socket(const Napi::CallbackInfo& info) {
    if (!socket_) throw Napi::Error::New(info.Env(), "the route socket is closed");
    return socket_;
  }

  // dumpRoutes(families, table, protocol, oif, ownSocket): RouteDump (route_dump_napi.h)
  Napi::Value DumpRoutes(const Napi::CallbackInfo& info) { return DumpRoutesJs(info, Socket(info)); }

  // getRoute(family, address: Uint8Array, oif, fibMatch, [ipProto, dport]): batch (synchronous)
  Napi::Value GetRoute(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array addr = info[1].As<Napi::Uint8Array>();
    int family = info[0].As<Napi::Number>().Int32Value();
    if (addr.ByteLength() != (family == AF_INET6 ? 16u : 4u))
      throw Napi::TypeError::New(env, "address length does not match the family");
    SocketPtr socket = Socket(info);
    RouteQuery query{family, addr.Data(), info[2].As<Napi::Number>().Uint32Value(), {}};
    if (info.Length() > 5) {
      query.transport.ip_proto = static_cast<uint8_t>(info[4].As<Napi::Number>().Uint32Value());
      query.transport.dport = static_cast<uint16_t>(info[5].As<Napi::Number>().Uint32Value());
    }
    RouteBatch batch;
    ThrowIf(env, ::GetRoute(socket.get(), query, info[3].ToBoolean().Value(), &batch));
    return RouteBatchToJs(env, std::move(batch));
  }

  // getRoutes(families: number[], addresses: Uint8Array (16 bytes each), oifs: number[], fibMatch,
  // [knownIndexes: number[], knownNames: string[]]): the
  // lookups pipelined in one send (synchronous): { ...batch, owners: Int32Array (the lookup each route
  // answers), errors: Int32Array (an errno per lookup) }
  Napi::Value GetRoutes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array families = info[0].As<Napi::Array>();
    Napi::Uint8Array addrs = info[1].As<Napi::Uint8Array>();
    Napi::Array oifs = info[2].As<Napi::Array>();
    const bool fib_match = info[3].ToBoolean().Value();
    const uint32_t n = families.Length();
    if (addrs.ByteLength() != n * 16u || oifs.Length() != n)
      throw Napi::TypeError::New(env, "lookups have the wrong size");
    SocketPtr socket = Socket(info);
    std::vector<RouteQuery> queries(n);
    for (uint32_t i = 0; i < n; i++) {
      queries[i] = RouteQuery{families.Get(i).As<Napi::Number>().Int32Value(),
                              addrs.Data() + i * 16,
                              oifs.Get(i).As<Napi::Number>().Uint32Value(),
                              {}};
    }
    std::vector<Link> known;
    if (info.Length() > 5) {  // links the caller already knows by name: no request to name them again
      Napi::Array indexes = info[4].As<Napi::Array>();
      Napi::Array names = info[5].As<Napi::Array>();
      known.resize(indexes.Length());
      for (uint32_t i = 0; i < indexes.Length(); i++) {
        known[i].index = indexes.Get(i).As<Napi::Number>().Uint32Value();
        known[i].name = names.Get(i).As<Napi::String>().Utf8Value();
      }
    }
    RouteBatch batch;
    std::vector<int32_t> owners, errors;
    ThrowIf(env, ::GetRoutes(socket.get(), queries, fib_match, known, &batch, &owners, &errors));
    Napi::Object out = RouteBatchToJs(env, std::move(batch));
    Napi::Int32Array owner_array = Napi::Int32Array::New(env, owners.size());
    for (size_t i = 0; i < owners.size(); i++) owner_array[i] = owners[i];
    Napi::Int32Array error_array = Napi::Int32Array::New(env, n);
    for (uint32_t i = 0; i < n; i++) error_array[i] = errors[i];
    out.Set("owners", owner_array);
    out.Set("errors", error_array);
    return out;
  }

  // change(records: Uint8Array, rare: NativeRareFields[], async: boolean): results, or a promise of them
  Napi::Value Change(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array records = info[0].As<Napi::Uint8Array>();
    std::vector<RouteChangeRareFields> rare = RareFieldsFromJs(env, info[1].As<Napi::Array>());
    if (records.ByteLength() % record::kSize) throw Napi::TypeError::New(env, "change records have the wrong size");
    SocketPtr socket = Socket(info);
    const size_t count = records.ByteLength() / record::kSize;
    if (info[2].ToBoolean().Value()) {
      return (new ChangeWorker(env, socket, std::vector<uint8_t>(records.Data(), records.Data() + records.ByteLength()),
                               std::move(rare)))
          ->Start();
    }
    std::vector<std::pair<size_t, NlError>> failures;
    ThrowIf(env, ApplyChanges(socket.get(), records.Data(), count, rare, &failures));
    return ChangeResultsToJs(env, count, failures);
  }

  // listLinks(): links (synchronous)
  Napi::Value ListLinks(const Napi::CallbackInfo& info) {
    std::vector<Link> links;
    ThrowIf(info.Env(), ReadLinks(Socket(info).get(), &links));
    return LinksToJs(info.Env(), links);
  }

  // linkIndexes(names: string[]): number[], 0 where there is no such link (synchronous)
  Napi::Value LinkIndexes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<std::string> names = Strings(info[0].As<Napi::Array>());
    SocketPtr socket = Socket(info);
    std::vector<uint32_t> indexes;
    ThrowIf(env, ::LinkIndexes(socket.get(), names, &indexes));
    Napi::Array out = Napi::Array::New(env, indexes.size());
    for (uint32_t i = 0; i < indexes.size(); i++) out.Set(i, Napi::Number::New(env, indexes[i]));
    return out;
  }

  // getLinks(names: string[]): (link | null)[] (synchronous)
  Napi::Value GetLinks(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SocketPtr socket = Socket(info);
    std::vector<Link> links;
    std::vector<bool> found;
    ThrowIf(env, ::GetLinks(socket.get(), Strings(info[0].As<Napi::Array>()), &links, &found));
    Napi::Array all = LinksToJs(env, links);
    Napi::Array out = Napi::Array::New(env, links.size());
    for (uint32_t i = 0; i < links.size(); i++) out.Set(i, found[i] ? all.Get(i) : env.Null());
    return out;
  }

  // netnsCookie(): the namespace's cookie in decimal, or undefined on a kernel without SO_NETNS_COOKIE
  Napi::Value NetnsCookie(const Napi::CallbackInfo& info) {
    uint64_t cookie = 0;
    bool known = false;
    ThrowIf(info.Env(), Socket(info)->NetnsCookie(&cookie, &known));
    return known ? Napi::String::New(info.Env(), std::to_string(cookie)) : info.Env().Undefined();
  }

  // watch(filter): Watch, on a new socket in the same namespace (watch_napi.h)
  Napi::Value Watch(const Napi::CallbackInfo& info) { return WatchJs(info, Socket(info)); }

  // listRules(families: number[]): rules (synchronous: rules are few)
  Napi::Value ListRules(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<int> families(list.Length());
    for (uint32_t i = 0; i < list.Length(); i++) families[i] = list.Get(i).As<Napi::Number>().Int32Value();
    std::vector<Rule> rules;
    ThrowIf(env, ReadRules(Socket(info).get(), families, &rules));
    return RulesToJs(env, rules);
  }

  // changeRule(add: boolean, rule): undefined (synchronous)
  Napi::Value ChangeRule(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Rule rule = RuleFromJs(env, info[1].As<Napi::Object>());
    ThrowIf(env, ::ChangeRule(Socket(info).get(), info[0].ToBoolean().Value(), rule));
    return env.Undefined();
  }

  // listAddresses(family: number): addresses (synchronous: addresses are few)
  Napi::Value ListAddresses(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<InterfaceAddress> addresses;
    ThrowIf(env, ReadAddresses(Socket(info).get(), info[0].As<Napi::Number>().Int32Value(), &addresses));
    return AddressesToJs(env, addresses);
  }

  // changeAddress(add: boolean, address): undefined (synchronous)
  Napi::Value ChangeAddress(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const InterfaceAddress address = AddressFromJs(env, info[1].As<Napi::Object>());
    ThrowIf(env, ::ChangeAddress(Socket(info).get(), info[0].ToBoolean().Value(), address));
    return env.Undefined();
  }

  // setLink(index, up: -1 unchanged | 0 | 1, mtu: 0 unchanged): undefined (synchronous)
  Napi::Value SetLink(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const LinkSettings settings{info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Int32Value(),
                                info[2].As<Napi::Number>().Uint32Value()};
    ThrowIf(env, ::SetLink(Socket(info).get(), settings));
    return env.Undefined();
  }

  // getSysctl(name): the value under /proc/sys/NAME in the socket's namespace (synchronous)
  Napi::Value GetSysctl(const Napi::CallbackInfo& info) {
    std::string value;
    ThrowIf(info.Env(), ReadSysctl(Socket(info)->namespace_fd(), info[0].As<Napi::String>().Utf8Value(), &value));
    return Napi::String::New(info.Env(), value);
  }

  // setSysctl(name, value): undefined (synchronous)
  Napi::Value SetSysctl(const Napi::CallbackInfo& info) {
    ThrowIf(info.Env(), WriteSysctl(Socket(info)->namespace_fd(), info[0].As<Napi::String>().Utf8Value(),
                                    info[1].As<Napi::String>().Utf8Value()));
    return info.Env().Undefined();
  }

  // The NETLINK_SOCK_DIAG socket, made on first use in the same namespace as the route socket.
  NetlinkSocket* Diag(const Napi::CallbackInfo& info) {
    SocketPtr socket = Socket(info);
    if (!diag_) {
      NetlinkSocket* own = nullptr;
      ThrowIf(info.Env(), socket->Clone(&own, NETLINK_SOCK_DIAG));
      diag_.reset(own);
    }
    return diag_.get();
  }

  // listSockets(families: number[], protocols: number[]): sockets (synchronous: native/sock_diag_napi.h)
  Napi::Value ListSockets(const Napi::CallbackInfo& info) {
    Napi::Value out;
    ThrowIf(info.Env(),
            ListSocketsJs(info.Env(), Diag(info), info[0].As<Napi::Array>(), info[1].As<Napi::Array>(), &out));
    return out;
  }

  // destroySockets(sockets): Int32Array, an errno per socket (synchronous)
  Napi::Value DestroySockets(const Napi::CallbackInfo& info) {
    Napi::Value out;
    ThrowIf(info.Env(), DestroySocketsJs(info.Env(), Diag(info), info[0].As<Napi::Array>(), &out));
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    socket_.reset();  // work still in flight keeps its own reference until it ends
    diag_.reset();
    return info.Env().Undefined();
  }

  SocketPtr socket_;
  std::unique_ptr<NetlinkSocket> diag_;
};

// open(netns: string, timeoutMs: number): RouteSocketHandle (synchronous: a socket, made in a named namespace by
// the calling thread, which enters it and comes back within the call: namespace_helper.cc)
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = info[0].As<Napi::String>().Utf8Value();
  NetlinkSocket* socket = nullptr;
  ThrowIf(env, NetlinkSocket::Open(netns, info[1].As<Napi::Number>().Int32Value(), &socket));
  return env.GetInstanceData<Classes>()->route_socket.New({Napi::External<NetlinkSocket>::New(env, socket)});
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* classes = new Classes();
  classes->route_socket = Napi::Persistent(RouteSocketHandle::Define(env));
  classes->route_dump = Napi::Persistent(DefineRouteDump(env));
  classes->watch = Napi::Persistent(DefineWatch(env));
  classes->firewall = Napi::Persistent(DefineFirewall(env));
  env.SetInstanceData(classes);  // per environment: the addon may be loaded by worker threads too
  exports.Set("open", Napi::Function::New(env, Open));
  RegisterHostCalls(env, exports);
  RegisterFirewall(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(rtnetlink, Init)
