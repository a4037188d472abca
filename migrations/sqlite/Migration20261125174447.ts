import { Migration } from '@mikro-orm/migrations';

export class Migration20261125174447 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`search_entries\` (\`id\` text not null, \`user_id\` text not null, \`type\` text not null, \`source_id\` text not null, \`conversation_id\` text null, \`title\` text not null, \`body\` text not null, \`created_at\` datetime not null, constraint \`search_entries_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`search_entries_conversation_index\` on \`search_entries\` (\`conversation_id\`);`);
    this.addSql(`create index \`search_entries_user_created_index\` on \`search_entries\` (\`user_id\`, \`created_at\`);`);
    this.addSql(`create unique index \`search_entries_source_unique\` on \`search_entries\` (\`type\`, \`source_id\`);`);

    this.addSql(`create table \`notes\` (\`id\` text not null, \`user_id\` text not null, \`title\` text not null, \`content\` text not null, \`tags\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`notes_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`notes_user_updated_index\` on \`notes\` (\`user_id\`, \`updated_at\`);`);

    this.addSql(`create table \`conversations\` (\`id\` text not null, \`user_id\` text not null, \`title\` text null, \`provider\` text null, \`model\` text null, \`system_prompt\` text null, \`message_count\` integer not null default 0, \`last_message_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`conversations_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`conversations_user_updated_index\` on \`conversations\` (\`user_id\`, \`updated_at\`);`);

    this.addSql(`create table \`messages\` (\`id\` text not null, \`conversation_id\` text not null, \`position\` integer not null, \`role\` text not null, \`content\` text not null, \`provider\` text null, \`model\` text null, \`status\` text not null default 'complete', \`citations\` json not null, \`prompt_tokens\` integer null, \`completion_tokens\` integer null, \`total_tokens\` integer null, \`created_at\` datetime not null, constraint \`messages_conversation_id_foreign\` foreign key(\`conversation_id\`) references \`conversations\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`messages_conversation_position_unique\` on \`messages\` (\`conversation_id\`, \`position\`);`);

    // Full-text index: an FTS5 table over search_entries (external content, keyed by rowid),
    // kept in step by triggers, so every write to search_entries updates it in the same transaction.
    this.addSql(`create virtual table \`search_fts\` using fts5(title, body, content='search_entries', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2', prefix='2 3 4');`);
    this.addSql(`create trigger \`search_entries_ai\` after insert on \`search_entries\` begin insert into search_fts(rowid, title, body) values (new.rowid, new.title, new.body); end;`);
    this.addSql(`create trigger \`search_entries_ad\` after delete on \`search_entries\` begin insert into search_fts(search_fts, rowid, title, body) values ('delete', old.rowid, old.title, old.body); end;`);
    this.addSql(`create trigger \`search_entries_au\` after update on \`search_entries\` begin insert into search_fts(search_fts, rowid, title, body) values ('delete', old.rowid, old.title, old.body); insert into search_fts(rowid, title, body) values (new.rowid, new.title, new.body); end;`);
  }

}
