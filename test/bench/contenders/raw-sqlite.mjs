/**
 * The physical limit for a checkpoint on SQLite: one better-sqlite3 INSERT of the
 * same bytes our store wrote, autocommitted, with the SQLite store's journal
 * mode (WAL) and synchronous setting (NORMAL).
 */
import Database from "better-sqlite3";

export function openRawDb(path) {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE IF NOT EXISTS checkpoint (seq INTEGER PRIMARY KEY, run TEXT, payload TEXT)");
  const insert = db.prepare("INSERT INTO checkpoint (run, payload) VALUES (?, ?)");
  return {
    /** Writes each payload as its own transaction; returns the milliseconds taken. */
    writeAll(run, payloads) {
      const start = performance.now();
      for (const payload of payloads) insert.run(run, payload);
      return performance.now() - start;
    },
    close: () => db.close(),
  };
}
