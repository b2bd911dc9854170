// DocumentStore on a real SQLite file in a temporary data directory: what is committed survives a
// reopen and a SIGKILL; a commit is all or nothing; generations and revisions count only changes;
// a file that is not a store, a damaged or truncated store, a tampered document, a newer schema and a
// second process on the same directory are each refused with a message naming the file, and the file is
// left as it was.
#include "control/document_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace sensix {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
namespace fs = std::filesystem;

const std::string kModelV1 = "apiVersion: sensix/v1\nkind: Model\nmetadata: {name: hey-jarvis}\nspec: {v: 1}\n";
const std::string kModelV2 = "apiVersion: sensix/v1\nkind: Model\nmetadata: {name: hey-jarvis}\nspec: {v: 2}\n";
const std::string kSensor = "apiVersion: sensix/v1\nkind: Sensor\nmetadata: {name: speech}\nspec: {}\n";

DocumentChange put(std::string kind, std::string name, std::string text) {
  return DocumentChange{std::move(kind), std::move(name), std::move(text)};
}
DocumentChange del(std::string kind, std::string name) {
  return DocumentChange{std::move(kind), std::move(name), std::nullopt};
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs raw SQL on a store file behind the store's back (a damaged disk, another program).
void raw_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* msg = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  EXPECT_EQ(rc, SQLITE_OK) << (msg ? msg : "");
  sqlite3_free(msg);
  sqlite3_close(db);
}

TEST(DocumentStore, AnEmptyDirectoryBecomesAnEmptyStoreInWalMode) {
  TempDir dir;
  const std::string data = dir.file("data");
  auto store = DocumentStore::open(data);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ((*store)->path(), data + "/state.db");
  EXPECT_EQ(*(*store)->revision(), 0);
  EXPECT_TRUE((*store)->documents()->empty());
  EXPECT_EQ(fs::status(data).permissions() & fs::perms::all, fs::perms::owner_all);
  store->reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data + "/state.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST(DocumentStore, WhatIsCommittedIsThereAfterAReopen) {
  TempDir dir;
  ManualEnv env;
  {
    auto store = DocumentStore::open(dir.file("data"), &env);
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto r = (*store)->commit({put("Model", "hey-jarvis", kModelV1), put("Sensor", "speech", kSensor)},
                              "apply quickstart");
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r->changed);
    EXPECT_EQ(r->revision, 1);
    ASSERT_EQ(r->written.size(), 2u);
    EXPECT_EQ(r->written[0].generation, 1);
    EXPECT_EQ(r->written[0].applied_at, "2026-01-01T00:00:00.000Z");
  }
  auto store = DocumentStore::open(dir.file("data"), &env);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto docs = (*store)->documents();
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].kind, "Model");  // ordered by kind, then name
  EXPECT_EQ((*docs)[0].text, kModelV1);
  EXPECT_EQ((*docs)[1].kind, "Sensor");
  EXPECT_EQ((*docs)[1].text, kSensor);
  auto one = (*store)->document("Sensor", "speech");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->revision, 1);
  auto revs = (*store)->revisions();
  ASSERT_EQ(revs->size(), 1u);
  EXPECT_EQ((*revs)[0].summary, "apply quickstart");
  EXPECT_EQ((*store)->document("Model", "alexa").status().code(), StatusCode::kNotFound);
}

TEST(DocumentStore, GenerationsAndRevisionsCountOnlyChanges) {
  TempDir dir;
  ManualEnv env;
  auto store = DocumentStore::open(dir.file("data"), &env).value();
  ASSERT_TRUE(store->commit({put("Model", "hey-jarvis", kModelV1)}, "first").ok());

  // The same text again: no change, no revision.
  auto same = store->commit({put("Model", "hey-jarvis", kModelV1)}, "again");
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->revision, 1);
  EXPECT_EQ(*store->revision(), 1);

  env.advance(std::chrono::seconds(90));
  auto changed = store->commit({put("Model", "hey-jarvis", kModelV2)}, "v2");
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->revision, 2);
  EXPECT_EQ(changed->written.at(0).generation, 2);
  EXPECT_EQ(store->document("Model", "hey-jarvis")->applied_at, "2026-01-01T00:01:30.000Z");

  // Deleted and created again: the generation goes on from the last one, never repeats.
  auto gone = store->commit({del("Model", "hey-jarvis")}, "delete");
  ASSERT_TRUE(gone.ok());
  ASSERT_EQ(gone->deleted.size(), 1u);
  EXPECT_EQ(gone->deleted[0].generation, 2);
  EXPECT_EQ(store->document("Model", "hey-jarvis").status().code(), StatusCode::kNotFound);
  auto back = store->commit({put("Model", "hey-jarvis", kModelV1)}, "back");
  EXPECT_EQ(back->written.at(0).generation, 3);

  auto history = store->history("Model", "hey-jarvis");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 4u);
  EXPECT_EQ((*history)[0].text, kModelV1);
  EXPECT_EQ((*history)[1].text, kModelV2);
  EXPECT_EQ((*history)[2].text, "");  // the deletion
  EXPECT_EQ((*history)[2].revision, 3);
  EXPECT_EQ((*history)[3].generation, 3);
  EXPECT_EQ(store->revisions()->size(), 4u);
}

TEST(DocumentStore, ACommitWithOneBadChangeChangesNothing) {
  TempDir dir;
  auto store = DocumentStore::open(dir.file("data")).value();
  ASSERT_TRUE(store->commit({put("Model", "hey-jarvis", kModelV1)}, "first").ok());

  // The put comes first and would succeed; the delete of a document that is not there fails them both.
  auto r = store->commit({put("Model", "hey-jarvis", kModelV2), del("Model", "alexa")}, "bad");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("Model/alexa is not applied"));
  EXPECT_EQ(store->document("Model", "hey-jarvis")->text, kModelV1);
  EXPECT_EQ(*store->revision(), 1);

  auto twice = store->commit({put("Model", "x", kModelV1), put("Model", "x", kModelV2)}, "twice");
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(twice.status().message(), HasSubstr("Model/x is changed twice"));
  auto nameless = store->commit({put("Model", "", kModelV1)}, "nameless");
  EXPECT_EQ(nameless.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->documents()->size(), 1u);
}

// A commit that returned is on disk even when the process dies right after, without closing.
TEST(DocumentStore, ACommitSurvivesSigkill) {
  TempDir dir;
  const std::string data = dir.file("data");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = DocumentStore::open(data);
    if (!store.ok() || !(*store)->commit({put("Model", "hey-jarvis", kModelV1)}, "then killed").ok()) _exit(1);
    raise(SIGKILL);
    _exit(2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child failed before its kill: " << status;

  auto store = DocumentStore::open(data);  // the dead process's lock went with it
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ((*store)->document("Model", "hey-jarvis")->text, kModelV1);
}

// A rollout starts with the commit that stores the new version, and ends in the commit that stores
// the old one again (rolled back), or alone (promoted: no document changes, no revision).
TEST(DocumentStore, RolloutsAreStoredWithTheRevisionsTheyGoWith) {
  TempDir dir;
  auto store = DocumentStore::open(dir.file("data"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->commit({put("Model", "hey-jarvis", kModelV1)}, "apply").ok());
  RolloutRecord start;
  start.model = "hey-jarvis";
  start.strategy = "canary";
  start.from_generation = 1;
  start.from_version = "1";
  start.to_version = "2";
  auto c = (*store)->commit({put("Model", "hey-jarvis", kModelV2)}, "apply v2", {RolloutUpdate{start, 0, "", ""}});
  ASSERT_TRUE(c.ok()) << c.status();
  auto all = (*store)->rollouts();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  const RolloutRecord r = all->front();
  EXPECT_EQ(r.state, "progressing");
  EXPECT_EQ(r.to_generation, 2);  // the generation its commit gave the model
  EXPECT_EQ(r.started_revision, 2);
  EXPECT_EQ(r.ended_at, "");
  // Rolled back: the old text again, a third generation, in one transaction with the rollout's end.
  c = (*store)->commit({put("Model", "hey-jarvis", kModelV1)}, "rollback",
                       {RolloutUpdate{std::nullopt, r.id, "rolled-back", "why"}});
  ASSERT_TRUE(c.ok()) << c.status();
  all = (*store)->rollouts();
  EXPECT_EQ(all->front().state, "rolled-back");
  EXPECT_EQ(all->front().reason, "why");
  EXPECT_EQ(all->front().ended_revision, 3);
  // An ended rollout cannot end again, and nothing of that commit is kept.
  c = (*store)->commit({put("Model", "hey-jarvis", kModelV2)}, "again", {RolloutUpdate{std::nullopt, r.id, "x", ""}});
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*store)->document("Model", "hey-jarvis")->text, kModelV1);
  EXPECT_EQ(*(*store)->revision(), 3);
  // Promoted: a rollout's end alone makes no revision.
  ASSERT_TRUE((*store)->commit({put("Model", "hey-jarvis", kModelV2)}, "v2", {RolloutUpdate{start, 0, "", ""}}).ok());
  const int64_t id = (*store)->rollouts()->back().id;
  ASSERT_TRUE((*store)->commit({}, "", {RolloutUpdate{std::nullopt, id, "promoted", "passed"}}).ok());
  EXPECT_EQ(*(*store)->revision(), 4);
  EXPECT_EQ((*store)->rollouts()->back().state, "promoted");
  EXPECT_EQ((*store)->rollouts()->back().ended_revision, 0);
}

// The daemon's own reads (undo, the model store's collection, kept versions, rollouts to finish)
// each read a few rows, and find what a walk over the whole history finds.
TEST(DocumentStore, BoundedReadsFindWhatTheWholeHistorySays) {
  TempDir dir;
  auto store = DocumentStore::open(dir.file("data")).value();
  auto text = [](const std::string& name, int v) {
    return fmt::format("apiVersion: sensix/v1\nkind: Model\nmetadata: {{name: {}}}\nspec: {{v: {}}}\n", name, v);
  };
  // hey-jarvis: 1 2 1 2 ... 40 versions, then deleted, then 7. alexa: 5 versions beside it.
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(store->commit({put("Model", "hey-jarvis", text("hey-jarvis", i % 2))}, "").ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->commit({put("Model", "alexa", text("alexa", i))}, "").ok());
  ASSERT_TRUE(store->commit({del("Model", "hey-jarvis")}, "delete").ok());
  ASSERT_TRUE(store->commit({put("Model", "hey-jarvis", text("hey-jarvis", 7))}, "").ok());
  ASSERT_TRUE(store->commit({put("Sensor", "speech", kSensor)}, "").ok());
  const std::vector<StoredDocument> all = store->history("Model", "hey-jarvis").value();
  ASSERT_EQ(all.size(), 42u);

  // The last versions, deletions left out, oldest first.
  auto last = store->last_versions("Model", "hey-jarvis", 3).value();
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[0].text, all[38].text);
  EXPECT_EQ(last[1].revision, all[39].revision);
  EXPECT_EQ(last[2].text, text("hey-jarvis", 7));
  EXPECT_TRUE(store->last_versions("Model", "siri", 3)->empty());

  // At a revision: the newest row at or before it, a deletion included; nothing before the first.
  auto at = store->version_at("Model", "hey-jarvis", 44).value();  // 41..45 are alexa's
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(at->revision, all[39].revision);
  at = store->version_at("Model", "hey-jarvis", all[40].revision).value();
  EXPECT_EQ(at->text, "");
  EXPECT_EQ(store->version_at("Model", "alexa", 1).value(), std::nullopt);
  EXPECT_EQ(store->latest("Model", "hey-jarvis").value()->text, text("hey-jarvis", 7));
  EXPECT_EQ(store->latest("Model", "siri").value(), std::nullopt);
  EXPECT_EQ(*store->first_revision("Model", "alexa"), 41);
  EXPECT_EQ(*store->first_revision("Model", "siri"), 0);

  // The newest earlier row whose text differs: before version 7, the deletion; before row 39
  // (version 1), row 38 (version 0); before the first, none.
  auto before = store->version_before("Model", "hey-jarvis", all[41].revision, all[41].text).value();
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->revision, all[40].revision);
  before = store->version_before("Model", "hey-jarvis", all[39].revision, all[39].text).value();
  EXPECT_EQ(before->revision, all[38].revision);
  EXPECT_EQ(store->version_before("Model", "hey-jarvis", all[0].revision, all[0].text).value(), std::nullopt);

  // A generation: its row, never the deletion that kept its number.
  auto gen = store->generation("Model", "hey-jarvis", all[39].generation).value();
  ASSERT_TRUE(gen.has_value());
  EXPECT_EQ(gen->revision, all[39].revision);
  EXPECT_EQ(store->generation("Model", "hey-jarvis", 99).value(), std::nullopt);

  // What the model store keeps: the last 2 of each Model ever applied, oldest first.
  auto kept = store->versions("Model", 2).value();
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ(kept[0].name, "hey-jarvis");
  EXPECT_EQ(kept[0].revision, all[39].revision);
  EXPECT_EQ(kept[1].name, "alexa");
  EXPECT_EQ(kept[1].text, text("alexa", 3));
  EXPECT_EQ(kept[2].text, text("alexa", 4));
  EXPECT_EQ(kept[3].text, text("hey-jarvis", 7));

  // Rollouts: those still progressing, and a model's last one.
  RolloutRecord start;
  start.model = "alexa";
  start.strategy = "canary";
  ASSERT_TRUE(store->commit({put("Model", "alexa", text("alexa", 8))}, "", {RolloutUpdate{start, 0, "", ""}}).ok());
  const int64_t first = store->rollouts()->back().id;
  ASSERT_TRUE(store->commit({}, "", {RolloutUpdate{std::nullopt, first, "promoted", ""}}).ok());
  start.strategy = "shadow";
  ASSERT_TRUE(store->commit({put("Model", "alexa", text("alexa", 9))}, "", {RolloutUpdate{start, 0, "", ""}}).ok());
  auto progressing = store->rollouts_in("progressing").value();
  ASSERT_EQ(progressing.size(), 1u);
  EXPECT_EQ(progressing[0].strategy, "shadow");
  EXPECT_EQ(store->last_rollout("alexa").value()->strategy, "shadow");
  EXPECT_EQ(store->last_rollout("hey-jarvis").value(), std::nullopt);
}

// A store of schema 1 (before rollouts) gets the rollouts table when it is opened, its documents kept.
TEST(DocumentStore, ASchemaOneStoreIsMigrated) {
  TempDir dir;
  const std::string data = dir.file("data");
  {
    auto store = DocumentStore::open(data);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->commit({put("Model", "hey-jarvis", kModelV1)}, "apply").ok());
  }
  raw_sql(data + "/state.db", "DROP TABLE rollouts; PRAGMA user_version = 1");
  auto store = DocumentStore::open(data);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->document("Model", "hey-jarvis")->text, kModelV1);
  auto all = (*store)->rollouts();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_TRUE(all->empty());
}

TEST(DocumentStore, ASecondProcessOnTheSameDirectoryIsRefused) {
  TempDir dir;
  const std::string data = dir.file("data");
  auto first = DocumentStore::open(data);
  ASSERT_TRUE(first.ok());
  // flock is per open file: another open in this process is refused as another process would be.
  auto second = DocumentStore::open(data);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("is in use by another sensix process"));
  first->reset();
  EXPECT_TRUE(DocumentStore::open(data).ok());
}

TEST(DocumentStore, AFileThatIsNotAStoreIsRefusedAndLeftAsItIs) {
  TempDir dir;
  const std::string data = dir.file("data");
  fs::create_directories(data);
  const std::string path = data + "/state.db";
  testing::write_random_bytes(path, 8192);
  const std::string before = read_bytes(path);

  auto store = DocumentStore::open(data);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("not a sensix state store (file is not a database)"));
  EXPECT_EQ(read_bytes(path), before);
}

TEST(DocumentStore, AnotherProgramsDatabaseIsRefused) {
  TempDir dir;
  const std::string data = dir.file("data");
  fs::create_directories(data);
  raw_sql(data + "/state.db", "CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES('mine')");
  auto store = DocumentStore::open(data);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("not a sensix state store"));
}

TEST(DocumentStore, AStoreOfANewerSensixIsRefused) {
  TempDir dir;
  const std::string data = dir.file("data");
  ASSERT_TRUE(DocumentStore::open(data).ok());
  raw_sql(data + "/state.db", "PRAGMA user_version = 7");
  auto store = DocumentStore::open(data);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("newer sensix (store schema 7, this sensix reads up to 2)"));
}

// A store of 200 documents, all in the main file (no WAL left), for damaging.
std::string write_big_store(const std::string& data) {
  {
    auto store = DocumentStore::open(data).value();
    std::vector<DocumentChange> many;
    for (int i = 0; i < 200; ++i)
      many.push_back(put("Model", "m" + std::to_string(i), kModelV1 + std::string(500, 'x')));
    EXPECT_TRUE(store->commit(many, "many").ok());
  }
  const std::string path = data + "/state.db";
  raw_sql(path, "PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_GT(fs::file_size(path), 40'000u);
  return path;
}

// Opening `data` fails with DataLoss naming `path` as damaged, and leaves the file as it was.
void expect_refused_as_damaged(const std::string& data, const std::string& path) {
  const std::string before = read_bytes(path);
  auto store = DocumentStore::open(data);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().message();
  EXPECT_THAT(store.status().message(), HasSubstr(path + ": the store is damaged"));
  EXPECT_EQ(read_bytes(path), before);
}

// Half a store (a copy cut short, a disk that lost its tail) is damage, found at open.
TEST(DocumentStore, ATruncatedStoreIsRefused) {
  TempDir dir;
  const std::string data = dir.file("data");
  const std::string path = write_big_store(data);
  fs::resize_file(path, fs::file_size(path) / 2);
  expect_refused_as_damaged(data, path);
}

// A page in the middle overwritten (the header and the schema intact): SQLite's quick_check finds it at
// open, before any document is read.
TEST(DocumentStore, ADamagedPageIsFoundAtOpen) {
  TempDir dir;
  const std::string data = dir.file("data");
  const std::string path = write_big_store(data);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(path) / 2 / 4096 * 4096));
    const std::string garbage(4096, '\xA5');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  expect_refused_as_damaged(data, path);
}

TEST(DocumentStore, ATamperedDocumentIsDataLossNotItsText) {
  TempDir dir;
  const std::string data = dir.file("data");
  ASSERT_TRUE(DocumentStore::open(data).value()->commit({put("Model", "hey-jarvis", kModelV1)}, "first").ok());
  raw_sql(data + "/state.db", "UPDATE documents SET text = 'kind: Model' WHERE name = 'hey-jarvis'");
  auto store = DocumentStore::open(data).value();
  auto docs = store->documents();
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(docs.status().message(),
              HasSubstr("the store is damaged (Model/hey-jarvis: the stored text does not match its checksum)"));
  EXPECT_EQ(store->document("Model", "hey-jarvis").status().code(), StatusCode::kDataLoss);
}

TEST(DocumentStore, ADataDirectoryThatIsAFileIsRefused) {
  const std::string data = testing::write_temp_file("not-a-folder", "x");
  auto store = DocumentStore::open(data);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(data));
}

}  // namespace
}  // namespace sensix
