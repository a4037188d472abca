import { Migration } from '@mikro-orm/migrations';

export class Migration20261202190922 extends Migration {

  override name = 'Migration20261202190922';

  override up(): void | Promise<void> {
    this.addSql(`alter table "jobs" add "key" varchar(200) null, add "every_ms" bigint null;`);
    this.addSql(`alter table "jobs" add constraint "jobs_key_unique" unique ("key");`);

  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "jobs" drop constraint "jobs_key_unique";`);
    this.addSql(`alter table "jobs" drop column "key", drop column "every_ms";`);

  }

}
