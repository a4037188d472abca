import type { ModuleContent } from '../types.js';

const PASSAGE = `In Defence of Doing Nothing

When did you last wait for something without reaching for your phone? If you are like most people I know, the honest answer is "I can't remember". Queues, bus stops and even the minute or two it takes a kettle to boil have become opportunities to check messages, scroll through headlines or squeeze in a quick game. We have, in effect, abolished boredom – and I am beginning to suspect that this is a mistake.

Boredom has a bad reputation. As children, we learn that it is a problem to be fixed, ideally by an adult with a list of activities. As adults, we treat it as a sign that we are wasting time. Yet some of the best ideas I have ever had arrived during long, uneventful train journeys, when there was nothing to do but stare out of the window. I doubt I am unusual in this. Psychologists have suggested that when the mind is left without a task, it tends to wander, and that this wandering can produce unexpected connections.

I am not arguing that we should throw our phones into the sea. They are useful, and pretending otherwise would be dishonest. Nor am I claiming that every moment of boredom leads to a brilliant thought; most of the time, a bored mind simply drifts towards what to have for dinner. My point is more modest. By filling every gap in the day, we remove the conditions in which reflection happens. We are never quite bored, but we are rarely quite rested either.

Some readers will say that this is easy for a writer to recommend, since daydreaming is, in a sense, part of the job. That is fair. But I suspect that nurses, accountants and students also benefit from moments when nothing is demanded of them. The difficulty is that such moments now have to be protected deliberately, because they no longer happen by accident.

So here is a small experiment. Next time you are waiting for a bus, leave your phone in your pocket. It will feel uncomfortable at first, perhaps even slightly ridiculous. Stay with that feeling for a few minutes and see where your thoughts go. You may be surprised by what you find. Or you may simply decide what to have for dinner. Either way, you will have had a rare moment to yourself.`;

export const module: ModuleContent = {
  slug: 'b2-reading-opinion-article',
  version: 1,
  title: 'Reading: an opinion article',
  description:
    "You will be able to follow the argument of an opinion article, identify the writer's main point and attitude, and infer meaning that is not stated directly.",
  level: 'B2',
  skill: 'reading',
  estimatedMinutes: 25,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: "What is the writer's main argument?",
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'Smartphones are harmful and people should stop using them.' },
        { id: 'b', text: 'By filling every spare moment, we lose time for rest and reflection.' },
        { id: 'c', text: 'Boredom always leads to creative ideas.' },
        { id: 'd', text: 'Children should be given more activities to prevent boredom.' },
      ],
      answer: 'b',
      explanation:
        'The writer\'s point is that "by filling every gap in the day, we remove the conditions in which reflection happens". Options a and c are claims the writer explicitly rejects.',
    },
    {
      key: 't2',
      type: 'multiple_choice',
      prompt: 'Why does the writer mention waiting for a kettle to boil in the first paragraph?',
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'To show that even very short waits are now filled with phone use.' },
        { id: 'b', text: 'To suggest that people drink too much tea.' },
        { id: 'c', text: 'To complain that modern appliances are too slow.' },
        { id: 'd', text: 'To give an example of a moment when people feel stressed.' },
      ],
      answer: 'a',
      explanation:
        'The kettle is the shortest wait in a list that builds up the idea that no gap is too small to fill with a phone.',
    },
    {
      key: 't3',
      type: 'multiple_choice',
      prompt: "What can we infer about the writer's attitude to phones?",
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'The writer thinks they should be banned in public places.' },
        { id: 'b', text: 'The writer accepts that they are useful but thinks we rely on them too much.' },
        { id: 'c', text: 'The writer believes they make people more creative.' },
        { id: 'd', text: 'The writer does not own one.' },
      ],
      answer: 'b',
      explanation:
        'The writer says phones "are useful, and pretending otherwise would be dishonest", but the whole article criticises how we use them to fill every moment.',
    },
    {
      key: 't4',
      type: 'multiple_choice',
      prompt:
        'In paragraph 3, why does the writer say that "most of the time, a bored mind simply drifts towards what to have for dinner"?',
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'To avoid exaggerating the benefits of boredom.' },
        { id: 'b', text: 'To show that boredom is a waste of time after all.' },
        { id: 'c', text: 'To give practical advice about planning meals.' },
        { id: 'd', text: 'To make fun of readers who disagree.' },
      ],
      answer: 'a',
      explanation:
        'The writer is admitting a limit to the argument: boredom does not usually produce brilliant ideas. This makes the more modest claim that follows more convincing.',
    },
    {
      key: 't5',
      type: 'multiple_choice',
      prompt: 'How does the writer respond to the criticism that daydreaming is part of a writer\'s job?',
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'The writer rejects the criticism completely.' },
        { id: 'b', text: 'The writer accepts it but argues that people in other jobs benefit too.' },
        { id: 'c', text: 'The writer says that writers rarely daydream.' },
        { id: 'd', text: 'The writer agrees and decides the advice only applies to writers.' },
      ],
      answer: 'b',
      explanation:
        '"That is fair" shows the writer accepts the point, and "But I suspect that nurses, accountants and students also benefit" extends the argument to everyone.',
    },
    {
      key: 't6',
      type: 'fill_blank',
      prompt:
        'Complete with one word from the text: According to the writer, we are never quite bored, but we are rarely quite ___ either.',
      passage: PASSAGE,
      answers: ['rested'],
      explanation:
        'The end of paragraph 3 contrasts "never quite bored" with "rarely quite rested": avoiding boredom has not made us feel rested.',
    },
    {
      key: 't7',
      type: 'multiple_choice',
      prompt:
        'The writer says moments of doing nothing "now have to be protected deliberately". What does this imply?',
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'In the past, such moments happened naturally without any effort.' },
        { id: 'b', text: 'Employers should give workers longer breaks by law.' },
        { id: 'c', text: 'People have never had time to do nothing.' },
        { id: 'd', text: 'Doing nothing is dangerous unless it is planned carefully.' },
      ],
      answer: 'a',
      explanation:
        'The sentence continues "because they no longer happen by accident", which implies that they used to happen by accident, without planning.',
    },
    {
      key: 't8',
      type: 'multiple_choice',
      prompt: 'Which best describes the tone of the final paragraph?',
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'Light-hearted and encouraging' },
        { id: 'b', text: 'Angry and critical' },
        { id: 'c', text: 'Sad and nostalgic' },
        { id: 'd', text: 'Formal and technical' },
      ],
      answer: 'a',
      explanation:
        'The writer invites readers to try "a small experiment" and jokes that they may "simply decide what to have for dinner", which is friendly and humorous rather than critical.',
    },
  ],
};
