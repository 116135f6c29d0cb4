#pragma once
// Loading off the GUI thread (hotspot's pattern): a job runs on a worker thread and its result,
// a whole value, is handed to the GUI thread, where the model takes it in one reset. Starting a
// job cancels the one before (its cancel flag is set; the core's loaders check it every few
// thousand rows) and only the newest job's result is ever delivered, so a slow load that the
// user moved away from never overwrites a newer view.

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include "infermeter/dashboard/run_snapshot.h"

namespace infermeter::dashboard_app {

class AsyncLoader : public QObject {
  Q_OBJECT

 public:
  explicit AsyncLoader(QObject* parent = nullptr);
  // Cancels what runs and waits for it: a worker never outlives the loader.
  ~AsyncLoader() override;

  // Runs `work(cancel)` on a worker thread; then, on the GUI thread and only if no newer job was
  // started meanwhile, `done(result)` and finished(). A thrown dashboard::LoadCancelled gives
  // cancelled(); any other exception failed(message) with its text.
  template <typename T>
  void Start(std::function<T(const std::atomic<bool>*)> work, std::function<void(T)> done) {
    auto cancel = BeginJob();
    const quint64 job = job_;
    pool_.start([this, job, cancel, work = std::move(work), done = std::move(done)]() mutable {
      try {
        auto result = std::make_shared<T>(work(cancel.get()));
        Deliver(job, [done = std::move(done), result] { done(std::move(*result)); });
      } catch (const dashboard::LoadCancelled&) {
        Deliver(job, nullptr, /*cancelled=*/true);
      } catch (const std::exception& e) {
        Deliver(job, nullptr, false, QString::fromStdString(e.what()));
      }
    });
  }

  // Sets the running job's cancel flag; it then ends with cancelled().
  void Cancel();
  bool busy() const { return busy_; }
  // Blocks until no job runs (tests, and the screenshot mode).
  void WaitForIdle();

 signals:
  void started();
  void finished();
  void failed(const QString& message);
  void cancelled();

 private:
  std::shared_ptr<std::atomic<bool>> BeginJob();
  // From the worker: queues the outcome to the GUI thread, dropped there if `job` is stale.
  void Deliver(quint64 job, std::function<void()> apply, bool was_cancelled = false,
               QString error = {});

  QThreadPool pool_;
  quint64 job_ = 0;  // GUI thread only
  std::shared_ptr<std::atomic<bool>> cancel_;
  bool busy_ = false;
};

}  // namespace infermeter::dashboard_app
