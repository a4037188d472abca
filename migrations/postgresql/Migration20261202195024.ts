import { Migration } from '@mikro-orm/migrations';

export class Migration20261202195024 extends Migration {

  override name = 'Migration20261202195024';

  override up(): void | Promise<void> {
    this.addSql(`create table "search_reindexes" ("id" uuid not null, "job_id" uuid not null, "status" varchar(16) not null default 'queued', "requested_by_id" uuid null, "requested_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, "entries" int null, "error" varchar(1000) null, primary key ("id"));`);
    this.addSql(`create index "search_reindexes_requested_index" on "search_reindexes" ("requested_at");`);

    this.addSql(`alter table "users" add "platform_role" varchar(16) null;`);

    this.addSql(`alter table "search_entries" add "indexed_at" timestamptz null;`);

    this.addSql(`alter table "search_reindexes" add constraint "search_reindexes_requested_by_id_foreign" foreign key ("requested_by_id") references "users" ("id") on update cascade on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "search_reindexes" cascade;`);

    this.addSql(`alter table "search_entries" drop column "indexed_at";`);

    this.addSql(`alter table "users" drop column "platform_role";`);
  }

}
