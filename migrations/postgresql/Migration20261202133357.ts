import { Migration } from '@mikro-orm/migrations';

export class Migration20261202133357 extends Migration {

  override name = 'Migration20261202133357';

  override up(): void | Promise<void> {
    this.addSql(`create table "jobs" ("id" uuid not null, "queue" varchar(64) not null, "payload" text not null, "ref" varchar(64) null, "state" varchar(16) not null, "attempts" int not null, "max_attempts" int not null, "run_at" bigint not null, "locked_by" varchar(64) null, "locked_until" bigint null, "last_error" varchar(1000) null, "created_at" bigint not null, "updated_at" bigint not null, primary key ("id"));`);
    this.addSql(`create index "jobs_ref_index" on "jobs" ("ref");`);
    this.addSql(`create index "jobs_due_index" on "jobs" ("state", "run_at");`);


    this.addSql(`alter table "documents" add "file_key" varchar(100) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "jobs" cascade;`);

    this.addSql(`alter table "documents" drop column "file_key";`);

  }

}
