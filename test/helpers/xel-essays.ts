/**
 * Essays written for the XEL evaluator's tests (none comes from a corpus): a clearly weak one,
 * and variants of one good essay that each change one thing.
 */

export const GOOD_ESSAY = `Many people believe that technology has changed the way students learn. In my opinion, this change is mostly positive, although it brings some problems.

Firstly, the internet gives learners access to information that was once difficult to find. For example, a student in a small village can watch lectures from famous universities, which was impossible twenty years ago. Moreover, online exercises give immediate feedback, so learners can correct their mistakes quickly.

On the other hand, technology can also distract students. Because phones are always nearby, many young people find it hard to concentrate on a single task for long. However, teachers can reduce this problem when they set clear rules and design lessons that use devices purposefully.

In conclusion, I believe that technology improves education, provided that schools teach students how to use it responsibly.`;

/** The same essay with errors seeded into it: wrong verb forms and plurals, agreement, articles, spelling. */
export const ERRORS_ESSAY = `Many people believe that technology has changed the way students learn. In my opinion, this change is mostly positive, although it bring some problems.

Firstly, the internet gives learners access to information that was once dificult to find. For example, a student in a small village can watch lectures from famous universitys, which were imposible twenty years ago. Moreover, online exercises give immediate feedback, so learners can correct they're mistakes quickly. Last year my teacher teached us with a app and we was very happy.

On the other hand, technology can also distract students. Because phones are always nearby, many young people finds it hard to concentrate on a single task for long. However, teachers could of reduced this problem if they set clear rules, and the childs did not went online in class.

In conclusion, I believe that technology improves education, provided that schools teach students how to use it responsibly.`;

export const SHORT_ESSAY = 'Technology is good for students. It helps them learn.';

/** What a struggling learner might write: no capitals, run-on sentences, agreement slips, repetition. */
export const WEAK_ESSAY = `i think technology is good for student. because student can learn many thing in internet and is very good. my brother he have a phone and he use it every day for find information for his homework and he learn many thing and he is happy but some people is not agree with this they think the phone is bad because student play game all day and dont study and the teacher is angry with them.

i think the phone is good and bad. student can learn and student can play. the school need to make rule for the phone. the phone is good thing for student if student use it good. in my opinion technology is good for student and for teacher and for the school.`;

/** The good essay with every sentence starting in lower case. */
export const LOWER_CASE_ESSAY = GOOD_ESSAY.replace(/(^|[.!?]\s+)([A-Z])(?=[a-z])/g, (_, before: string, letter: string) => `${before}${letter.toLowerCase()}`);

/** The good essay with seven words misspelt. */
export const MISSPELT_ESSAY = GOOD_ESSAY.replace('people', 'peple')
  .replace('technology has', 'tecnology has')
  .replace('students learn', 'students lern')
  .replace('access', 'acces')
  .replace('difficult', 'dificult')
  .replace('impossible', 'imposible')
  .replace('immediate', 'imediate');

/** The good essay with subject–verb and verb-form slips of the kind a checker can miss. */
export const SLIPS_ESSAY = `Many people believe that technology has changed the way students learn. In my opinion, this change is mostly positive, although it bring some problems.

Firstly, the internet gives learners access to information that was once difficult to find. For example, a student in a small village can watch lectures from famous universities, which was impossible twenty years ago. Moreover, online exercises give immediate feedback, so they helps learners correct their mistakes quickly.

On the other hand, technology can also distract students. Because phones are always nearby, a young person find it hard to concentrate on a single task for long. However, a teacher can reduce this problem when he have clear rules and she design lessons that use devices purposefully.

In conclusion, I believe that technology improves education, provided that schools teach students how to use it responsibly.`;

/** The good essay's ideas in short sentences with no linking words. */
export const UNLINKED_ESSAY = `Many people believe that technology has changed the way students learn. This change is mostly positive. It brings some problems.

The internet gives learners access to information that was once difficult to find. A student in a small village can watch lectures from famous universities. This was impossible twenty years ago. Online exercises give immediate feedback. Learners can correct their mistakes quickly.

Technology can distract students. Phones are always nearby. Many young people find it hard to concentrate on a single task for long. Teachers can reduce this problem. They can set clear rules and design lessons that use devices purposefully.

Technology improves education. Schools must teach students how to use it responsibly.`;

/** The good essay's sentences run together with commas. */
export const RUN_ON_ESSAY = `Many people believe that technology has changed the way students learn, in my opinion this change is mostly positive, although it brings some problems, firstly the internet gives learners access to information that was once difficult to find, for example a student in a small village can watch lectures from famous universities, which was impossible twenty years ago.

Moreover online exercises give immediate feedback, so learners can correct their mistakes quickly, on the other hand technology can also distract students because phones are always nearby and many young people find it hard to concentrate on a single task for long, however teachers can reduce this problem when they set clear rules and design lessons that use devices purposefully.

In conclusion, I believe that technology improves education, provided that schools teach students how to use it responsibly.`;

/** The good essay's ideas in a few words used over and over. */
export const REPETITIVE_ESSAY = `Many people think that technology has changed the way students learn. I think this change is good, but I think it also brings some problems.

Firstly, the internet gives students a lot of information. For example, students can watch videos and students can learn from videos. Moreover, students can do exercises online and students can see their mistakes, so students can learn from their mistakes quickly.

On the other hand, technology can also distract students. Because phones are always near students, many students find it hard to think about one task for a long time. However, teachers can help students when teachers make rules and make lessons that use phones in a good way.

In conclusion, I think that technology is good for students, if schools teach students how to use technology in a good way.`;

/** An essay in British spelling, and the same in American spelling. */
export const BRITISH_ESSAY = GOOD_ESSAY.replace('the way students learn', 'the behaviour of students')
  .replace('correct their mistakes quickly', 'realise their mistakes quickly and analyse them')
  .replace('distract students', 'distract students from their favourite subjects')
  .replace('design lessons', 'organise lessons');
export const AMERICAN_ESSAY = BRITISH_ESSAY.replace('behaviour', 'behavior').replace('realise', 'realize').replace('analyse', 'analyze').replace('favourite', 'favorite').replace('organise', 'organize');
