import { Migration } from '@mikro-orm/migrations';

/** The full-text index's triggers, as Migration20261125174447 made them. */
const TRIGGERS = [
  `create trigger \`search_entries_ai\` after insert on \`search_entries\` begin insert into search_fts(rowid, title, body) values (new.rowid, new.title, new.body); end;`,
  `create trigger \`search_entries_ad\` after delete on \`search_entries\` begin insert into search_fts(search_fts, rowid, title, body) values ('delete', old.rowid, old.title, old.body); end;`,
  `create trigger \`search_entries_au\` after update on \`search_entries\` begin insert into search_fts(search_fts, rowid, title, body) values ('delete', old.rowid, old.title, old.body); insert into search_fts(rowid, title, body) values (new.rowid, new.title, new.body); end;`,
];

/**
 * The full-text index without its two-character prefix index. Search takes the last word as a
 * prefix only from three characters (SearchService), so the index of two-character prefixes
 * was written for every word of every passage and message and never read: about a sixth of
 * what indexing a document's passages cost (0.5 of 3.2 ms a document in a microbench of the
 * ingestion bench's text). FTS5 cannot change a table's options, so the index is made again
 * from its content table, with the same triggers: once, at the rate it is written (about 9,000
 * passages of 19 lines a second on a 2-core machine, so a minute or two for a million entries).
 */
export class Migration20261206190000 extends Migration {

  override async up(): Promise<void> {
    this.remake('3 4');
  }

  override async down(): Promise<void> {
    this.remake('2 3 4');
  }

  private remake(prefix: string): void {
    for (const t of ['search_entries_ai', 'search_entries_ad', 'search_entries_au']) this.addSql(`drop trigger if exists \`${t}\`;`);
    this.addSql(`drop table if exists \`search_fts\`;`);
    this.addSql(`create virtual table \`search_fts\` using fts5(title, body, content='search_entries', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2', prefix='${prefix}');`);
    for (const t of TRIGGERS) this.addSql(t);
    this.addSql(`insert into search_fts(search_fts) values ('rebuild');`);
  }

}
