import { Migration } from '@mikro-orm/migrations';

export class Migration20261125181828 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`document_chunks\` add column \`embedding\` json null;`);
  }

}
