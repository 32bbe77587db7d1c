// The N-API surface: a RouteSocket handle. Per-handle serialization of calls is done in JS
// (src/netlink/socket.ts).
//
// Which calls run where: requests whose kernel cost does not grow with the routing table (opening a socket,
// a route lookup, a link lookup or link list, a few route changes) run synchronously on the calling thread:
// the kernel handles a request inside sendmsg, so its answer is waiting when recvmsg is called, and a
// round trip through the libuv pool would cost several times the kernel's work. Route dumps and large batches
// of changes run on the pool (AsyncWorker); dumps come back in batches, and JS turns one batch into objects
// while the pool reads the next.
#include <napi.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "host_calls.h"
#include "link_codec.h"
#include "netlink_socket.h"
#include "route_codec.h"

namespace {

using SocketPtr = std::shared_ptr<NetlinkSocket>;

Napi::Error ToJsError(Napi::Env env, const NlError& e) {
  Napi::Error error = Napi::Error::New(env, e.message.empty() ? "netlink error" : e.message);
  error.Set("errno", Napi::Number::New(env, e.err));
  error.Set("extack", Napi::String::New(env, e.message));
  return error;
}

void ThrowIf(Napi::Env env, const NlError& e) {
  if (e.err) throw ToJsError(env, e);
}

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

template <typename T>
Napi::ArrayBuffer MoveToArrayBuffer(Napi::Env env, std::vector<T>&& data) {
  const size_t bytes = data.size() * sizeof(T);
  if (bytes <= 16384) {  // small: a copy is cheaper than an external buffer and its finalizer
    Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, bytes);
    if (bytes) memcpy(copy.Data(), data.data(), bytes);
    return copy;
  }
  auto* owned = new std::vector<T>(std::move(data));
  return Napi::ArrayBuffer::New(env, owned->data(), owned->size() * sizeof(T),
                                [](Napi::Env, void*, std::vector<T>* v) { delete v; }, owned);
}

Napi::String Latin1(Napi::Env env, const std::string& text) {
  napi_value value;
  napi_status status = napi_create_string_latin1(env, text.data(), text.size(), &value);
  NAPI_THROW_IF_FAILED(env, status, Napi::String());
  return Napi::String(env, value);
}

// A batch of decoded routes: { words: Uint32Array, text: string, strings: string[], done: boolean }.
struct Batch {
  std::vector<uint32_t> words;
  std::string text;
  std::vector<std::string> strings;
  bool done = false;

  void Take(RouteBatcher* batcher) { batcher->TakeBatch(&words, &text, &strings); }
  Napi::Object ToJs(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    const size_t count = words.size();
    out.Set("words", Napi::Uint32Array::New(env, count, MoveToArrayBuffer(env, std::move(words)), 0));
    out.Set("text", Latin1(env, text));
    Napi::Array list = Napi::Array::New(env, strings.size());
    for (size_t i = 0; i < strings.size(); i++) list.Set(i, Napi::String::New(env, strings[i]));
    out.Set("strings", list);
    out.Set("done", Napi::Boolean::New(env, done));
    return out;
  }
};

NlError ReadLinks(NetlinkSocket* socket, std::vector<Link>* links) {
  auto request = EncodeLinkDump();
  return socket->TransactOne(request, [links](size_t, const nlmsghdr* m) { DecodeLink(m, links); });
}

// Names the output interfaces of the batch's routes with one targeted link request each.
NlError NameLinks(NetlinkSocket* socket, RouteBatcher* batcher) {
  std::vector<uint32_t> oifs = batcher->UnnamedOifs();
  if (oifs.empty()) return NlError{};
  std::vector<std::vector<uint8_t>> requests;
  for (uint32_t oif : oifs) requests.push_back(EncodeLinkGet(oif, ""));
  std::vector<Link> links;
  std::vector<NlError> results;
  NlError err = socket->Transact(requests, [&links](size_t, const nlmsghdr* m) { DecodeLink(m, &links); }, &results);
  if (err.err) return err;
  for (const Link& l : links) batcher->NameLink(l.index, l.name);  // a link that vanished keeps "if<N>"
  return NlError{};
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
  explicit PromiseWorker(Napi::Env env)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
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
  ChangeWorker(Napi::Env env, SocketPtr socket, std::vector<uint8_t> records)
      : PromiseWorker(env), socket_(std::move(socket)), records_(std::move(records)) {}

 protected:
  NlError Run() override {
    return socket_->TransactRecords(records_.data(), records_.size() / record::kSize, &failures_);
  }
  Napi::Value Result(Napi::Env env) override {
    return ChangeResultsToJs(env, records_.size() / record::kSize, failures_);
  }

 private:
  SocketPtr socket_;
  std::vector<uint8_t> records_;
  std::vector<std::pair<size_t, NlError>> failures_;
};

// ---- dumps ----------------------------------------------------------------------------------------------

// The state of one route dump (one family after another), read in batches.
struct DumpState {
  SocketPtr socket;
  std::vector<int> families;
  uint32_t table = 0, oif = 0;
  uint8_t protocol = 0;
  RouteBatcher batcher;
  bool own_socket = false;  // a socket of the dump's own: closing it ends the dump
  bool links_read = false, started = false, finished = false, busy = false;
  size_t family_index = 0;

  NlError ReadBatch(size_t max_routes, Batch* out) {
    if (!links_read) {
      std::vector<Link> links;
      NlError err = ReadLinks(socket.get(), &links);
      if (err.err) return err;
      batcher.SetLinks(links);
      links_read = true;
    }
    while (!finished && batcher.size() < max_routes) {
      if (!started) {
        if (family_index == families.size()) {
          finished = true;
          break;
        }
        auto request = EncodeRouteDump(families[family_index], table, protocol, oif);
        NlError err = socket->StartDump(request);
        if (err.err) return err;
        started = true;
      }
      bool done = false;
      NlError result;
      NlError err = socket->ReadDump([this](const nlmsghdr* m) { batcher.Add(m); }, &done, &result);
      if (err.err) return err;
      if (done) {
        if (result.err) return result;
        started = false;
        family_index++;
      }
    }
    out->Take(&batcher);
    out->done = finished;
    return NlError{};
  }
};

class DumpBatchWorker : public PromiseWorker {
 public:
  DumpBatchWorker(Napi::Env env, std::shared_ptr<DumpState> state, size_t max_routes)
      : PromiseWorker(env), state_(std::move(state)), max_routes_(max_routes) {}

 protected:
  NlError Run() override {
    NlError err = state_->ReadBatch(max_routes_, &batch_);
    if (err.err) {
      state_->finished = true;
      state_->batcher.DropBatch();
    }
    return err;
  }
  Napi::Value Result(Napi::Env env) override { return batch_.ToJs(env); }
  void OnOK() override {
    state_->busy = false;
    PromiseWorker::OnOK();
  }

 private:
  std::shared_ptr<DumpState> state_;
  size_t max_routes_;
  Batch batch_;
};

class DrainWorker : public PromiseWorker {
 public:
  DrainWorker(Napi::Env env, SocketPtr socket) : PromiseWorker(env), socket_(std::move(socket)) {}

 protected:
  NlError Run() override { return socket_->DrainDump(); }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  SocketPtr socket_;
};

// The JS face of a dump: next(maxRoutes) -> Promise<batch>; close() -> Promise<void>.
class RouteDump : public Napi::ObjectWrap<RouteDump> {
 public:
  static Napi::FunctionReference* constructor;
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RouteDump",
                       {InstanceMethod("next", &RouteDump::Next), InstanceMethod("close", &RouteDump::Close)});
  }
  explicit RouteDump(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RouteDump>(info) {}
  void Init(std::shared_ptr<DumpState> state) { state_ = std::move(state); }

 private:
  Napi::Value Next(const Napi::CallbackInfo& info) {
    if (!state_) throw Napi::Error::New(info.Env(), "the dump is closed");
    if (state_->busy) throw Napi::Error::New(info.Env(), "the dump is already reading a batch");
    state_->busy = true;
    size_t max_routes = info[0].As<Napi::Number>().Uint32Value();
    return (new DumpBatchWorker(info.Env(), state_, max_routes ? max_routes : 1))->Start();
  }
  // Ends the dump: a dump that did not finish is read to its end, so that the socket can be used again.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::shared_ptr<DumpState> state = std::move(state_);
    if (!state || state->own_socket || !state->socket->dump_running()) {
      auto deferred = Napi::Promise::Deferred::New(info.Env());
      deferred.Resolve(info.Env().Undefined());
      return deferred.Promise();
    }
    return (new DrainWorker(info.Env(), state->socket))->Start();
  }
  std::shared_ptr<DumpState> state_;
};

Napi::FunctionReference* RouteDump::constructor = nullptr;

// ---- the socket handle ------------------------------------------------------------------------------------

class RouteSocketHandle : public Napi::ObjectWrap<RouteSocketHandle> {
 public:
  static Napi::FunctionReference* constructor;

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RouteSocketHandle",
                       {InstanceMethod("dumpRoutes", &RouteSocketHandle::DumpRoutes),
                        InstanceMethod("getRoute", &RouteSocketHandle::GetRoute),
                        InstanceMethod("change", &RouteSocketHandle::Change),
                        InstanceMethod("listLinks", &RouteSocketHandle::ListLinks),
                        InstanceMethod("linkIndexes", &RouteSocketHandle::LinkIndexes),
                        InstanceMethod("close", &RouteSocketHandle::Close)});
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
    auto state = std::make_shared<DumpState>();
    Napi::Array list = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) state->families.push_back(list.Get(i).As<Napi::Number>().Int32Value());
    state->table = info[1].As<Napi::Number>().Uint32Value();
    state->protocol = static_cast<uint8_t>(info[2].As<Napi::Number>().Uint32Value());
    state->oif = info[3].As<Napi::Number>().Uint32Value();
    SocketPtr socket = Socket(info);
    if (info[4].ToBoolean().Value()) {
      NetlinkSocket* own = nullptr;
      ThrowIf(env, socket->Clone(&own));
      state->socket.reset(own);
      state->own_socket = true;
    } else {
      state->socket = socket;
    }
    Napi::Object dump = RouteDump::constructor->New({});
    RouteDump::Unwrap(dump)->Init(std::move(state));
    return dump;
  }

  // getRoute(family, address: Uint8Array, oif, fibMatch): batch (synchronous)
  Napi::Value GetRoute(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array addr = info[1].As<Napi::Uint8Array>();
    int family = info[0].As<Napi::Number>().Int32Value();
    if (addr.ByteLength() != (family == AF_INET6 ? 16u : 4u))
      throw Napi::TypeError::New(env, "address length does not match the family");
    SocketPtr socket = Socket(info);
    auto request = EncodeRouteGet(family, addr.Data(), info[2].As<Napi::Number>().Uint32Value(),
                                  info[3].ToBoolean().Value());
    RouteBatcher batcher;
    ThrowIf(env, socket->TransactOne(request, [&batcher](size_t, const nlmsghdr* m) { batcher.Add(m); }));
    ThrowIf(env, NameLinks(socket.get(), &batcher));
    Batch batch;
    batch.Take(&batcher);
    batch.done = true;
    return batch.ToJs(env);
  }

  // change(records: Uint8Array, async: boolean): results, or a promise of them
  Napi::Value Change(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array records = info[0].As<Napi::Uint8Array>();
    if (records.ByteLength() % record::kSize) throw Napi::TypeError::New(env, "change records have the wrong size");
    SocketPtr socket = Socket(info);
    const size_t count = records.ByteLength() / record::kSize;
    if (info[1].ToBoolean().Value()) {
      return (new ChangeWorker(env, socket, std::vector<uint8_t>(records.Data(), records.Data() + records.ByteLength())))
          ->Start();
    }
    std::vector<std::pair<size_t, NlError>> failures;
    ThrowIf(env, socket->TransactRecords(records.Data(), count, &failures));
    return ChangeResultsToJs(env, count, failures);
  }

  // listLinks(): links (synchronous)
  Napi::Value ListLinks(const Napi::CallbackInfo& info) {
    std::vector<Link> links;
    ThrowIf(info.Env(), ReadLinks(Socket(info).get(), &links));
    return LinksToJs(info.Env(), links);
  }

  // linkIndexes(names: string[]): number[], 0 where there is no such link (synchronous, one targeted
  // request per name, all in one send)
  Napi::Value LinkIndexes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array names = info[0].As<Napi::Array>();
    std::vector<std::vector<uint8_t>> requests;
    for (uint32_t i = 0; i < names.Length(); i++) requests.push_back(EncodeLinkGet(0, names.Get(i).As<Napi::String>()));
    std::vector<uint32_t> indexes(requests.size());
    std::vector<NlError> results;
    ThrowIf(env, Socket(info)->Transact(requests, [&indexes](size_t i, const nlmsghdr* m) {
      std::vector<Link> one;
      DecodeLink(m, &one);
      if (!one.empty()) indexes[i] = one[0].index;
    }, &results));
    Napi::Array out = Napi::Array::New(env, requests.size());
    for (size_t i = 0; i < requests.size(); i++) {
      if (results[i].err && results[i].err != ENODEV) throw ToJsError(env, results[i]);
      out.Set(i, Napi::Number::New(env, results[i].err ? 0 : indexes[i]));
    }
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    socket_.reset();  // work still in flight keeps its own reference until it ends
    return info.Env().Undefined();
  }

  SocketPtr socket_;
};

Napi::FunctionReference* RouteSocketHandle::constructor = nullptr;

// open(netns: string, timeoutMs: number): RouteSocketHandle (synchronous: a socket, and in a named
// namespace a short-lived thread that enters it; the calling thread never changes namespace)
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = info[0].As<Napi::String>().Utf8Value();
  NetlinkSocket* socket = nullptr;
  ThrowIf(env, NetlinkSocket::Open(netns, info[1].As<Napi::Number>().Int32Value(), &socket));
  return RouteSocketHandle::constructor->New({Napi::External<NetlinkSocket>::New(env, socket)});
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RouteSocketHandle::constructor = new Napi::FunctionReference(Napi::Persistent(RouteSocketHandle::Define(env)));
  RouteDump::constructor = new Napi::FunctionReference(Napi::Persistent(RouteDump::Define(env)));
  exports.Set("open", Napi::Function::New(env, Open));
  RegisterHostCalls(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(rtnetlink, Init)
