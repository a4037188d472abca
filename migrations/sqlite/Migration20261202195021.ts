import { Migration } from '@mikro-orm/migrations';

export class Migration20261202195021 extends Migration {

  override name = 'Migration20261202195021';

  override up(): void | Promise<void> {
    this.addSql(`create table \`search_reindexes\` (\`id\` text not null primary key, \`job_id\` text not null, \`status\` text not null default 'queued', \`requested_by_id\` text null, \`requested_at\` datetime not null, \`started_at\` datetime null, \`finished_at\` datetime null, \`entries\` integer null, \`error\` text null, constraint \`search_reindexes_requested_by_id_foreign\` foreign key (\`requested_by_id\`) references \`users\` (\`id\`) on update cascade on delete set null);`);
    this.addSql(`create index \`search_reindexes_requested_index\` on \`search_reindexes\` (\`requested_at\`);`);

    this.addSql(`alter table \`users\` add column \`platform_role\` text null;`);

    this.addSql(`alter table \`search_entries\` add column \`indexed_at\` datetime null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`search_reindexes\`;`);

    this.addSql(`alter table \`search_entries\` drop column \`indexed_at\`;`);

    this.addSql(`alter table \`users\` drop column \`platform_role\`;`);
  }

}
