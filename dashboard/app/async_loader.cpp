#include "async_loader.h"

#include <QCoreApplication>
#include <QMetaObject>

namespace infermeter::dashboard_app {

AsyncLoader::AsyncLoader(QObject* parent) : QObject(parent) {
  // Two workers: a cancelled job may still be winding down while its successor starts.
  pool_.setMaxThreadCount(2);
}

AsyncLoader::~AsyncLoader() {
  if (cancel_) cancel_->store(true);
  pool_.waitForDone();
}

std::shared_ptr<std::atomic<bool>> AsyncLoader::BeginJob() {
  if (cancel_) cancel_->store(true);
  cancel_ = std::make_shared<std::atomic<bool>>(false);
  ++job_;
  busy_ = true;
  emit started();
  return cancel_;
}

void AsyncLoader::Cancel() {
  if (cancel_) cancel_->store(true);
}

void AsyncLoader::WaitForIdle() {
  pool_.waitForDone();
  QCoreApplication::sendPostedEvents(this);
}

void AsyncLoader::Deliver(quint64 job, std::function<void()> apply, bool was_cancelled,
                          QString error) {
  // Safe from the worker: the destructor waits for every worker, so `this` is alive here, and an
  // event queued for a destroyed object is discarded by Qt.
  QMetaObject::invokeMethod(
      this,
      [this, job, apply = std::move(apply), was_cancelled, error = std::move(error)] {
        if (job != job_) return;  // a newer job was started: this outcome is stale
        busy_ = false;
        if (apply) {
          apply();
          emit finished();
        } else if (was_cancelled) {
          emit cancelled();
        } else {
          emit failed(error);
        }
      },
      Qt::QueuedConnection);
}

}  // namespace infermeter::dashboard_app
