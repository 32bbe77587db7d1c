// The N-API surface: a RouteSocket handle. It unpacks the JS arguments, calls the operations of
// operations.h (which do the kernel work without N-API, and which the fuzz targets drive too), turns their
// results into JS values, and runs them on the right thread. Per-handle serialization of calls is done in JS
// (src/netlink/socket.ts).
//
// Which calls run where: requests whose kernel cost does not grow with the routing table (opening a socket,
// a route lookup, a link lookup or link list, a few route changes) run synchronously on the calling thread:
// the kernel handles a request inside sendmsg, so its answer is waiting when recvmsg is called, and a
// round trip through the libuv pool would cost several times the kernel's work. Large batches of changes run
// on the pool (AsyncWorker). Route dumps and watches are read by a thread of their own (reader_thread.h) that
// stays a few batches ahead of JS; a dump's first batch is read on the pool, and a small dump ends there.
#include <napi.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "address_napi.h"
#include "address_operations.h"
#include "event_reader.h"
#include "host_calls.h"
#include "link_change.h"
#include "napi_errors.h"
#include "nft_napi.h"
#include "operations.h"
#include "reader_thread.h"
#include "route_filter.h"
#include "route_napi.h"
#include "rule_napi.h"
#include "rule_operations.h"
#include "sock_diag_napi.h"
#include "sysctl.h"

namespace {

using SocketPtr = std::shared_ptr<NetlinkSocket>;

Napi::Array LinksToJs(Napi::Env env, const std::vector<Link>& links) {
  Napi::Array out = Napi::Array::New(env, links.size());
  for (size_t i = 0; i < links.size(); i++) {
    Napi::Object link = Napi::Object::New(env);
    link.Set("index", links[i].index);
    link.Set("name", links[i].name);
    link.Set("flags", links[i].flags);
    link.Set("mtu", links[i].mtu);
    link.Set("operstate", links[i].operstate);
    out.Set(i, link);
  }
  return out;
}

std::vector<std::string> Strings(Napi::Array list) {
  std::vector<std::string> out(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) out[i] = list.Get(i).As<Napi::String>().Utf8Value();
  return out;
}

template <typename T>
Napi::ArrayBuffer MoveToArrayBuffer(Napi::Env env, std::vector<T>&& data) {
  const size_t bytes = data.size() * sizeof(T);
  if (bytes <= 16384) {  // small: a copy is cheaper than an external buffer and its finalizer
    Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, bytes);
    if (bytes) memcpy(copy.Data(), data.data(), bytes);
    return copy;
  }
  auto* owned = new std::vector<T>(std::move(data));
  return Napi::ArrayBuffer::New(
      env, owned->data(), owned->size() * sizeof(T), [](Napi::Env, void*, std::vector<T>* v) { delete v; }, owned);
}

Napi::String Latin1(Napi::Env env, const std::string& text) {
  napi_value value;
  napi_status status = napi_create_string_latin1(env, text.data(), text.size(), &value);
  NAPI_THROW_IF_FAILED(env, status, Napi::String());
  return Napi::String(env, value);
}

// A batch of decoded routes: { words: Uint32Array, text: string, strings: string[], extras: string, done: boolean }.
Napi::Object BatchToJs(Napi::Env env, RouteBatch&& batch) {
  Napi::Object out = Napi::Object::New(env);
  const size_t count = batch.words.size();
  out.Set("words", Napi::Uint32Array::New(env, count, MoveToArrayBuffer(env, std::move(batch.words)), 0));
  out.Set("text", Latin1(env, batch.text));
  Napi::Array list = Napi::Array::New(env, batch.strings.size());
  for (size_t i = 0; i < batch.strings.size(); i++) list.Set(i, Napi::String::New(env, batch.strings[i]));
  out.Set("strings", list);
  out.Set("extras", Latin1(env, batch.extras));
  out.Set("done", Napi::Boolean::New(env, batch.done));
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

// The classes' constructors, per environment (Node's main thread and each worker thread load the addon
// into an environment of their own).
struct Classes {
  Napi::FunctionReference route_socket, route_dump, watch;
};

// ---- dumps ----------------------------------------------------------------------------------------------

// One route dump (one family after another) for ReaderThread.
class RouteDumpSource {
 public:
  using Batch = RouteBatch;
  static constexpr size_t kAhead = 4;
  static constexpr bool kFirstReadOnPool = true;
  static constexpr const char* kName = "rtnetlink dump";

  // own_socket: the socket is the dump's own, and closing it ends the dump.
  RouteDumpSource(SocketPtr socket, bool own_socket, RouteDumpFilter filter)
      : socket_(std::move(socket)), own_socket_(own_socket), reader_(socket_.get(), std::move(filter)) {}

  NlError Read(RouteBatch* batch, bool* last) {
    NlError err = reader_.ReadBatch(max_routes, batch);
    *last = batch->done;
    return err;
  }
  static bool Empty(const RouteBatch&) { return false; }  // JS keeps each batch's interned strings
  void Interrupt() {}                                     // a dump's read never waits for long
  // A dump given up early on a shared socket is read to its end, so that the socket can be used again.
  void Finish() {
    if (!own_socket_) reader_.Drain();
  }
  static Napi::Value ToJs(Napi::Env env, RouteBatch&& batch) { return BatchToJs(env, std::move(batch)); }
  static void End(Napi::Env env, Napi::Promise::Deferred& deferred) {
    deferred.Reject(Napi::Error::New(env, "the dump has ended").Value());
  }

  size_t max_routes = 8192;  // set by the first next(), before any batch is read

 private:
  SocketPtr socket_;
  const bool own_socket_;
  RouteDumpReader reader_;
};
using DumpState = ReaderThread<RouteDumpSource>;

// The JS face of a dump: next(maxRoutes) -> Promise<batch>; close() -> Promise<void>.
class RouteDump : public Napi::ObjectWrap<RouteDump> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RouteDump",
                       {InstanceMethod("next", &RouteDump::Next), InstanceMethod("close", &RouteDump::Close)});
  }
  explicit RouteDump(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RouteDump>(info) {}
  ~RouteDump() override {
    if (state_) state_->Abandon();
  }
  void Init(std::shared_ptr<DumpState> state) { state_ = std::move(state); }

 private:
  Napi::Value Next(const Napi::CallbackInfo& info) {
    if (!state_) throw Napi::Error::New(info.Env(), "the dump is closed");
    const uint32_t max = info[0].As<Napi::Number>().Uint32Value();
    if (!state_->Begun() && max) state_->source().max_routes = max;
    return state_->Next(info.Env());
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!state_) {
      auto deferred = Napi::Promise::Deferred::New(info.Env());
      deferred.Resolve(info.Env().Undefined());
      return deferred.Promise();
    }
    std::shared_ptr<DumpState> state = std::move(state_);
    return state->Close(info.Env());
  }
  std::shared_ptr<DumpState> state_;
};

// ---- change events ------------------------------------------------------------------------------------

// { events: Uint32Array, routes: batch, links, addresses, addressDevs: string[], rules } (NativeEventBatch)
Napi::Object EventBatchToJs(Napi::Env env, EventBatch&& batch) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Uint32Array events = Napi::Uint32Array::New(env, batch.events.size());
  for (size_t i = 0; i < batch.events.size(); i++) events[i] = batch.events[i];
  out.Set("events", events);
  out.Set("routes", BatchToJs(env, std::move(batch.routes)));
  out.Set("links", LinksToJs(env, batch.links));
  out.Set("addresses", AddressesToJs(env, batch.addresses));
  Napi::Array devs = Napi::Array::New(env, batch.address_devs.size());
  for (size_t i = 0; i < batch.address_devs.size(); i++) devs.Set(i, batch.address_devs[i]);
  out.Set("addressDevs", devs);
  out.Set("rules", RulesToJs(env, batch.rules));
  return out;
}

// One watch for ReaderThread: a socket of its own joined to the multicast groups, whose reader blocks in poll()
// until the kernel has notifications (never polled by the event loop, never blocking it) and decodes them there, so
// that the decoding of a flood of routes stays off the main thread. When JS does not keep up, the kernel queues what
// comes meanwhile in the socket's buffer and, once that is full, drops and says so (ENOBUFS, an overrun event in the
// next batch): nothing is lost while the buffer has room, however the notifications were spread over batches.
class WatchSource {
 public:
  using Batch = EventBatch;
  static constexpr size_t kAhead = 16;
  static constexpr bool kFirstReadOnPool = false;  // the first read waits for events
  static constexpr const char* kName = "rtnetlink events";

  WatchSource(SocketPtr socket, EventFilter filter, int wake_fd)
      : socket_(std::move(socket)), reader_(socket_.get(), std::move(filter)), wake_fd_(wake_fd) {}
  ~WatchSource() { close(wake_fd_); }
  WatchSource(const WatchSource&) = delete;
  WatchSource& operator=(const WatchSource&) = delete;

  NlError Join() { return reader_.Join(); }

  NlError Read(EventBatch* batch, bool* last) {
    bool woken = false;
    *last = false;
    return reader_.Read(wake_fd_, -1, batch, &woken);
  }
  static bool Empty(const EventBatch& batch) { return batch.empty(); }
  void Interrupt() {
    const uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof(one)) < 0) {
      // An eventfd write fails only when its counter is full, which one write cannot make it.
    }
  }
  void Finish() {}
  static Napi::Value ToJs(Napi::Env env, EventBatch&& batch) { return EventBatchToJs(env, std::move(batch)); }
  static void End(Napi::Env env, Napi::Promise::Deferred& deferred) { deferred.Resolve(env.Null()); }

  // Main thread: from now on the kernel lets only the route notifications of interest through
  // (route_filter.h). *exact is false when the addresses were too many to test one by one and were widened.
  NlError NarrowRoutes(RouteInterest interest, const std::string& dev, bool* exact) {
    if (!dev.empty()) {
      NlError err = socket_->IfIndex(dev, &interest.oif);
      if (err.err) return err;
    }
    RouteFilter filter = RouteInterestFilter(interest);
    *exact = filter.exact;
    // The follower narrows twice a reaction, mostly to the same interest: the kernel's taking a program of
    // thousands of instructions is spared then.
    auto same = [](const sock_filter& a, const sock_filter& b) {
      return a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k;
    };
    if (std::equal(filter.program.begin(), filter.program.end(), attached_.begin(), attached_.end(), same))
      return NlError{};
    NlError err = socket_->SetFilter(filter.program);
    if (!err.err) attached_ = std::move(filter.program);
    return err;
  }

 private:
  SocketPtr socket_;
  std::vector<sock_filter> attached_;  // main thread only: the socket's filter now (empty: none)
  EventReader reader_;                 // reader thread only (Join: before it starts)
  const int wake_fd_;                  // an eventfd: readable once the watch is cancelled
};
using WatchState = ReaderThread<WatchSource>;

// The JS face of a watch: next() -> Promise<batch | null>; close().
class Watch : public Napi::ObjectWrap<Watch> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Watch",
                       {InstanceMethod("next", &Watch::Next), InstanceMethod("narrowRoutes", &Watch::NarrowRoutes),
                        InstanceMethod("close", &Watch::Close)});
  }
  explicit Watch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Watch>(info) {}
  ~Watch() override {
    if (state_) state_->Abandon();
  }
  void Init(std::shared_ptr<WatchState> state) { state_ = std::move(state); }

 private:
  Napi::Value Next(const Napi::CallbackInfo& info) {
    if (!state_) {
      auto deferred = Napi::Promise::Deferred::New(info.Env());
      deferred.Resolve(info.Env().Null());
      return deferred.Promise();
    }
    return state_->Next(info.Env());
  }
  // narrowRoutes(families: number[], addresses: Uint8Array (16 bytes each), protocol, dev): boolean, whether
  // the kernel's filter tests the addresses one by one (false: widened)
  Napi::Value NarrowRoutes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array families = info[0].As<Napi::Array>();
    Napi::Uint8Array addresses = info[1].As<Napi::Uint8Array>();
    if (addresses.ByteLength() != families.Length() * 16u)
      throw Napi::TypeError::New(env, "addresses have the wrong size");
    RouteInterest interest;
    interest.addresses.resize(families.Length());
    for (uint32_t i = 0; i < families.Length(); i++) {
      interest.addresses[i].family = families.Get(i).As<Napi::Number>().Int32Value();
      memcpy(interest.addresses[i].bytes, addresses.Data() + i * 16, 16);
    }
    interest.protocol = static_cast<uint8_t>(info[2].As<Napi::Number>().Uint32Value());
    bool exact = false;
    if (state_)
      ThrowIf(env, state_->source().NarrowRoutes(std::move(interest), info[3].As<Napi::String>().Utf8Value(), &exact));
    return Napi::Boolean::New(env, exact);
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (state_) std::move(state_)->Close(info.Env());  // nothing waits for the reader to stop
    state_.reset();
    return info.Env().Undefined();
  }
  std::shared_ptr<WatchState> state_;
};

EventFilter EventFilterOf(Napi::Object o) {
  EventFilter f;
  f.routes = o.Get("routes").ToBoolean().Value();
  f.links = o.Get("links").ToBoolean().Value();
  f.addresses = o.Get("addresses").ToBoolean().Value();
  f.rules = o.Get("rules").ToBoolean().Value();
  Napi::Array families = o.Get("families").As<Napi::Array>();
  for (uint32_t i = 0; i < families.Length(); i++)
    f.families.push_back(families.Get(i).As<Napi::Number>().Int32Value());
  return f;
}

// ---- the socket handle ------------------------------------------------------------------------------------

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

  // dumpRoutes(families: number[], table, protocol, oif, ownSocket: boolean): RouteDump
  // With ownSocket the dump runs on a new socket in the same namespace, so this handle stays free.
  Napi::Value DumpRoutes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RouteDumpFilter filter;
    Napi::Array list = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) filter.families.push_back(list.Get(i).As<Napi::Number>().Int32Value());
    filter.table = info[1].As<Napi::Number>().Uint32Value();
    filter.protocol = static_cast<uint8_t>(info[2].As<Napi::Number>().Uint32Value());
    filter.oif = info[3].As<Napi::Number>().Uint32Value();
    SocketPtr socket = Socket(info);
    const bool own_socket = info[4].ToBoolean().Value();
    if (own_socket) {
      NetlinkSocket* own = nullptr;
      ThrowIf(env, socket->Clone(&own));
      socket.reset(own);
    }
    auto state = std::make_shared<DumpState>(std::move(socket), own_socket, std::move(filter));
    Napi::Object dump = env.GetInstanceData<Classes>()->route_dump.New({});
    RouteDump::Unwrap(dump)->Init(std::move(state));
    return dump;
  }

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
    return BatchToJs(env, std::move(batch));
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
    Napi::Object out = BatchToJs(env, std::move(batch));
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

  // watch(filter): Watch, on a new socket in the same namespace, joined to the groups the filter asks for
  Napi::Value Watch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EventFilter filter = EventFilterOf(info[0].As<Napi::Object>());
    NetlinkSocket* own = nullptr;
    ThrowIf(env, Socket(info)->Clone(&own));
    SocketPtr socket(own);
    const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0) ThrowIf(env, Errno("eventfd"));
    auto state = std::make_shared<WatchState>(std::move(socket), std::move(filter), wake_fd);
    ThrowIf(env, state->source().Join());
    state->Start(env);
    Napi::Object watch = env.GetInstanceData<Classes>()->watch.New({});
    ::Watch::Unwrap(watch)->Init(std::move(state));
    return watch;
  }

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
// the long-lived helper of namespace_helper.cc; the calling thread never changes namespace)
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
  classes->route_dump = Napi::Persistent(RouteDump::Define(env));
  classes->watch = Napi::Persistent(Watch::Define(env));
  env.SetInstanceData(classes);  // per environment: the addon may be loaded by worker threads too
  exports.Set("open", Napi::Function::New(env, Open));
  RegisterHostCalls(env, exports);
  RegisterFirewall(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(rtnetlink, Init)
