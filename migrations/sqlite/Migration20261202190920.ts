import { Migration } from '@mikro-orm/migrations';

export class Migration20261202190920 extends Migration {

  override name = 'Migration20261202190920';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`jobs\` add column \`key\` text null;`);
    this.addSql(`alter table \`jobs\` add column \`every_ms\` bigint null;`);
    this.addSql(`create unique index \`jobs_key_unique\` on \`jobs\` (\`key\`);`);

  }

  override down(): void | Promise<void> {
    this.addSql(`drop index \`jobs_key_unique\`;`);
    this.addSql(`alter table \`jobs\` drop column \`key\`;`);
    this.addSql(`alter table \`jobs\` drop column \`every_ms\`;`);

  }

}
