#include "infermeter/results/sqlite.h"

#include <gtest/gtest.h>

#include "temp_db.h"

namespace infermeter::results {
namespace {

TEST(Sqlite, BindsEveryTypeAndReadsItBack) {
  Database db(":memory:", OpenMode::kReadWriteCreate);
  db.Execute("CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n INTEGER)");
  Statement insert(db, "INSERT INTO t VALUES (?, ?, ?, ?, ?)");
  const std::vector<std::uint8_t> bytes = {0, 1, 2, 255};
  insert.Bind(1, std::int64_t{1} << 40);
  insert.Bind(2, 2.5);
  insert.Bind(3, std::string_view("it's \"quoted\"; DROP TABLE t; --"));
  insert.BindBlob(4, bytes);
  insert.Bind(5, std::optional<std::int64_t>{});
  insert.Run();

  Statement select(db, "SELECT i, d, s, b, n FROM t");
  ASSERT_TRUE(select.Step());
  EXPECT_EQ(select.ColumnInt(0), std::int64_t{1} << 40);
  EXPECT_EQ(select.ColumnDouble(1), 2.5);
  EXPECT_EQ(select.ColumnText(2), "it's \"quoted\"; DROP TABLE t; --");
  EXPECT_EQ(select.ColumnBlob(3), bytes);
  EXPECT_TRUE(select.IsNull(4));
  EXPECT_EQ(select.ColumnOptionalInt(4), std::nullopt);
  EXPECT_FALSE(select.Step());
}

TEST(Sqlite, EmptyBlobIsNotNull) {
  Database db(":memory:", OpenMode::kReadWriteCreate);
  db.Execute("CREATE TABLE t (b BLOB NOT NULL)");
  Statement insert(db, "INSERT INTO t VALUES (?)");
  insert.BindBlob(1, {});
  insert.Run();
  EXPECT_EQ(db.QueryInt("SELECT length(b) FROM t"), 0);
}

TEST(Sqlite, TransactionRollsBackInItsDestructor) {
  Database db(":memory:", OpenMode::kReadWriteCreate);
  db.Execute("CREATE TABLE t (x INTEGER)");
  {
    Transaction transaction(db);
    db.Execute("INSERT INTO t VALUES (1)");
  }  // no Commit()
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t"), 0);
  {
    Transaction transaction(db);
    db.Execute("INSERT INTO t VALUES (1)");
    transaction.Commit();
  }
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t"), 1);
}

TEST(Sqlite, TransactionRollsBackWhenAnExceptionUnwinds) {
  Database db(":memory:", OpenMode::kReadWriteCreate);
  db.Execute("CREATE TABLE t (x INTEGER UNIQUE)");
  try {
    Transaction transaction(db);
    db.Execute("INSERT INTO t VALUES (1)");
    db.Execute("INSERT INTO t VALUES (1)");  // throws: UNIQUE constraint
    transaction.Commit();
    FAIL() << "expected a constraint error";
  } catch (const SqliteError& e) {
    EXPECT_NE(std::string(e.what()).find("UNIQUE constraint failed"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM t"), 0);
}

TEST(Sqlite, ReadTransactionSeesOneSnapshotWhileAWriterCommits) {
  testing::TempDir dir;
  const std::string path = dir.File("snapshot.db");
  Database writer(path, OpenMode::kReadWriteCreate);
  ASSERT_EQ(writer.QueryText("PRAGMA journal_mode = WAL"), "wal");
  writer.Execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)");
  Database reader(path, OpenMode::kReadOnly);
  {
    ReadTransaction snapshot(reader);
    EXPECT_EQ(reader.QueryInt("SELECT count(*) FROM t"), 1);
    writer.Execute("INSERT INTO t VALUES (2)");  // never blocked by the reader
    EXPECT_EQ(reader.QueryInt("SELECT count(*) FROM t"), 1);
  }
  EXPECT_EQ(reader.QueryInt("SELECT count(*) FROM t"), 2);
}

TEST(Sqlite, ErrorsCarrySqlitesMessageAndTheStatement) {
  Database db(":memory:", OpenMode::kReadWriteCreate);
  try {
    Statement s(db, "SELECT * FROM no_such_table");
    FAIL();
  } catch (const SqliteError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("no such table: no_such_table"), std::string::npos) << message;
    EXPECT_NE(message.find("SELECT * FROM no_such_table"), std::string::npos) << message;
  }
}

TEST(Sqlite, OpeningAMissingFileReadOnlyNamesTheFile) {
  testing::TempDir dir;
  const std::string path = dir.File("missing.db");
  try {
    Database db(path, OpenMode::kReadOnly);
    FAIL();
  } catch (const SqliteError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace infermeter::results
