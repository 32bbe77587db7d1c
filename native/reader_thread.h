// A kernel source read by a thread of its own for JS, which takes its batches with next() and ends it with
// close(): route dumps (route_dump_napi.cc) and change events (watch_napi.cc). The thread stays up to
// Source::kAhead batches ahead of JS, so that the kernel's side (for a large dump, most of the cost; for a flood of
// events, their decoding) goes on while JS turns earlier batches into objects and during its garbage collections.
// Memory stays bounded: when JS does not keep up, the thread stops reading (a watch's notifications then wait in
// the socket's buffer, and the kernel says when it drops some). The thread keeps the event loop alive only while JS
// waits for it (a next() or a close()), so that a source abandoned without close() cannot keep the process from
// exiting.
//
// Both face JS alike (ReaderObject below): next() -> Promise<batch | null>, null once no batch will come (closed,
// or after a dump's last batch); close() -> Promise<void>, settled once the reader has stopped and the source has
// let go of its socket (closed it, when it was the source's own), so that a caller who awaits it knows the kernel
// object is gone and a shared socket free.
//
// A Source provides:
//   using Batch;                              what one read gives
//   static constexpr size_t kAhead;           batches read ahead of JS
//   static constexpr bool kFirstReadOnPool;   the first next() reads on the libuv pool, and the thread starts
//                                             only if the source goes on (a small dump ends there, threadless)
//   static constexpr const char* kName;       the notifier's name
//   NlError Read(Batch*, bool* last);         reader thread (or the pool): the next batch; *last: no more
//   static bool Empty(const Batch&);          a batch not worth handing to JS unless it is the last
//   void Interrupt();                         any thread: makes a Read blocked for long return soon
//   void Finish();                            reader thread, after the last Read (or a cancelled one)
//   void Release();                           main thread, once reading is over, before close() settles: lets
//                                             go of the socket and whatever else the source holds
//   static Napi::Value ToJs(Napi::Env, Batch&&);
#pragma once

#include <napi.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "napi_errors.h"

template <typename Source>
class ReaderThread : public std::enable_shared_from_this<ReaderThread<Source>> {
 public:
  using Batch = typename Source::Batch;

  template <typename... Args>
  explicit ReaderThread(Args&&... args) : source_(std::forward<Args>(args)...) {}
  ReaderThread(const ReaderThread&) = delete;
  ReaderThread& operator=(const ReaderThread&) = delete;

  // Main thread, before reading begins or for what the source does beside reading (a watch's filter).
  Source& source() { return source_; }
  bool Begun() const { return begun_; }

  // Main thread: starts the reader thread.
  void Start(Napi::Env env) {
    begun_ = thread_ = true;
    // The notifier's context keeps this state alive until the notifier is destroyed: after the reader released
    // it, or when the environment ends (process exit, a worker thread's end) while the reader still runs; from
    // then on the reader must not touch it (gone_).
    auto finalize = [](Napi::Env, std::shared_ptr<ReaderThread>* context) {
      std::shared_ptr<ReaderThread> state = std::move(*context);
      delete context;
      std::lock_guard<std::mutex> lock(state->mutex_);
      state->gone_ = true;
      state->CancelLocked();
    };
    notify_ =
        Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), Source::kName, 0,
                                      1, new std::shared_ptr<ReaderThread>(this->shared_from_this()), finalize);
    notify_.Unref(env);
    std::thread([self = this->shared_from_this()] { self->ReaderLoop(); }).detach();
  }

  // Main thread: the next batch, now or when the reader has it.
  Napi::Value Next(Napi::Env env) {
    if (next_ || on_pool_) throw Napi::Error::New(env, "already waiting for a batch");
    auto deferred = Napi::Promise::Deferred::New(env);
    if (!begun_ && Source::kFirstReadOnPool) {
      begun_ = on_pool_ = true;
      (new FirstRead(env, this->shared_from_this(), deferred))->Queue();
      return deferred.Promise();
    }
    if (!begun_) Start(env);
    next_ = std::make_unique<Napi::Promise::Deferred>(deferred);
    Wait(env);
    Settle(env);
    return deferred.Promise();
  }

  // Main thread: ends the source; a next() waiting gets null, and the promise settles once the reader has
  // stopped and the source has released its socket.
  Napi::Value Close(Napi::Env env) {
    auto deferred = Napi::Promise::Deferred::New(env);
    close_ = std::make_unique<Napi::Promise::Deferred>(deferred);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      CancelLocked();
      if (!begun_) exited_ = true;  // nothing was ever read
    }
    if (on_pool_) return deferred.Promise();  // settled when the first read is in
    Wait(env);
    Settle(env);
    return deferred.Promise();
  }

  // Main thread: the JS object is gone without close(); the reader stops at its next batch.
  void Abandon() {
    std::lock_guard<std::mutex> lock(mutex_);
    CancelLocked();
  }

 private:
  // The first read, on the pool: a source that ends with it never starts a thread.
  class FirstRead : public Napi::AsyncWorker {
   public:
    FirstRead(Napi::Env env, std::shared_ptr<ReaderThread> state, Napi::Promise::Deferred deferred)
        : Napi::AsyncWorker(env), state_(std::move(state)), deferred_(deferred) {}
    void Execute() override { failure_ = state_->source_.Read(&batch_, &last_); }
    void OnOK() override {
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      ReaderThread& s = *state_;
      s.on_pool_ = false;
      const bool goes_on = !failure_.err && !last_;
      if (goes_on) {
        s.Start(env);  // read ahead from here on (or, if closed meanwhile, finish)
      } else {
        std::lock_guard<std::mutex> lock(s.mutex_);
        s.exited_ = true;
      }
      if (failure_.err) {
        deferred_.Reject(ToJsError(env, failure_).Value());
      } else {
        deferred_.Resolve(Source::ToJs(env, std::move(batch_)));
      }
      if (s.close_) {
        s.Wait(env);
        s.Settle(env);
      }
    }

   private:
    std::shared_ptr<ReaderThread> state_;
    Napi::Promise::Deferred deferred_;
    Batch batch_;
    bool last_ = false;
    NlError failure_;
  };

  void CancelLocked() {
    if (cancel_) return;
    cancel_ = true;
    room_.notify_one();
    source_.Interrupt();
  }

  // Main thread: JS waits (a next() or a close()); the reader keeps the event loop alive until it settles.
  void Wait(Napi::Env env) {
    std::lock_guard<std::mutex> lock(mutex_);
    waiting_ = true;
    // Once the reader has exited it has released the notifier, which may be gone: never touch it then.
    if (thread_ && !exited_ && !gone_) notify_.Ref(env);
  }

  // Main thread: settles what JS waits for with what the reader has produced.
  void Settle(Napi::Env env) {
    Napi::HandleScope scope(env);
    std::unique_lock<std::mutex> lock(mutex_);
    notified_ = false;
    if (next_ && (!ready_.empty() || failure_.err || cancel_ || exited_)) {
      std::unique_ptr<Napi::Promise::Deferred> deferred = std::move(next_);
      if (!ready_.empty() && !cancel_) {
        Batch batch = std::move(ready_.front());
        ready_.pop_front();
        room_.notify_one();
        lock.unlock();
        deferred->Resolve(Source::ToJs(env, std::move(batch)));
      } else if (failure_.err && !cancel_) {
        NlError failure = failure_;
        lock.unlock();
        deferred->Reject(ToJsError(env, failure).Value());
      } else {
        lock.unlock();
        deferred->Resolve(env.Null());
      }
      lock.lock();
    }
    if (close_ && exited_) {
      std::unique_ptr<Napi::Promise::Deferred> deferred = std::move(close_);
      lock.unlock();
      source_.Release();  // the reader is done with the source: only the main thread touches it now
      deferred->Resolve(env.Undefined());
      lock.lock();
    }
    waiting_ = next_ || close_;
    if (!waiting_ && thread_ && !exited_ && !gone_) notify_.Unref(env);
  }

  // Reader thread, with mutex_ held (so that the notifier cannot be destroyed meanwhile): wakes JS once if it
  // waits.
  void NotifyLocked() {
    if (gone_ || !waiting_ || notified_) return;
    notified_ = true;
    notify_.NonBlockingCall([self = this->shared_from_this()](Napi::Env env, Napi::Function) {
      if (env != nullptr) self->Settle(env);
    });
  }

  void ReaderLoop() {
    for (bool last = false; !last;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        room_.wait(lock, [this] { return cancel_ || ready_.size() < Source::kAhead; });
        if (cancel_) break;
      }
      Batch batch;
      NlError err = source_.Read(&batch, &last);
      std::lock_guard<std::mutex> lock(mutex_);
      if (cancel_) break;
      if (err.err) {
        failure_ = err;
        break;
      }
      if (!last && Source::Empty(batch)) continue;
      ready_.push_back(std::move(batch));
      NotifyLocked();
    }
    source_.Finish();
    std::lock_guard<std::mutex> lock(mutex_);
    exited_ = true;
    if (!gone_) {
      NotifyLocked();
      notify_.Release();
    }
  }

  // The reader thread's (the pool's for the first read); the main thread's only for what Source says.
  Source source_;
  // Shared, under mutex_.
  std::mutex mutex_;
  std::condition_variable room_;  // the reader waits on it while kAhead batches are ready
  std::deque<Batch> ready_;
  NlError failure_;
  // exited_: no more reading, and the notifier released (or never made); gone_: the notifier is destroyed.
  bool cancel_ = false, exited_ = false, gone_ = false, waiting_ = false, notified_ = false;
  // Main thread only.
  Napi::ThreadSafeFunction notify_;
  std::unique_ptr<Napi::Promise::Deferred> next_, close_;
  bool begun_ = false, thread_ = false, on_pool_ = false;
};

// The JS object of a ReaderThread (Derived: its ObjectWrap class, which adds what is its own and defines the
// methods). Its state is null once closed; dropped by JS without close(), it abandons the reader.
template <typename Derived, typename Source>
class ReaderObject : public Napi::ObjectWrap<Derived> {
 public:
  using State = ReaderThread<Source>;

  explicit ReaderObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info) {}
  ~ReaderObject() override {
    if (state_) state_->Abandon();
  }
  ReaderObject(const ReaderObject&) = delete;
  ReaderObject& operator=(const ReaderObject&) = delete;
  void Init(std::shared_ptr<State> state) { state_ = std::move(state); }

 protected:
  // next() -> Promise<batch | null>
  Napi::Value Next(const Napi::CallbackInfo& info) {
    if (!state_) return Settled(info.Env(), info.Env().Null());
    return state_->Next(info.Env());
  }
  // close() -> Promise<void>; settled at once when closed already.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!state_) return Settled(info.Env(), info.Env().Undefined());
    std::shared_ptr<State> state = std::move(state_);
    return state->Close(info.Env());
  }

  std::shared_ptr<State> state_;  // null once closed

 private:
  static Napi::Promise Settled(Napi::Env env, Napi::Value value) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(value);
    return deferred.Promise();
  }
};
