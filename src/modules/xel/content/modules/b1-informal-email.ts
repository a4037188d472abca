import type { ModuleContent } from '../types.js';

export const module: ModuleContent = {
  slug: 'b1-informal-email',
  version: 1,
  title: 'Writing an informal email',
  description:
    'You will be able to write a friendly, well-organised email to a friend with a suitable greeting, linked ideas and a natural ending.',
  level: 'B1',
  skill: 'writing',
  estimatedMinutes: 30,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: 'You are writing to your close friend Jess. Which is the best way to start your email?',
      options: [
        { id: 'a', text: 'Dear Sir or Madam,' },
        { id: 'b', text: 'Hi Jess,' },
        { id: 'c', text: 'To whom it may concern,' },
        { id: 'd', text: 'Dear Ms Taylor,' },
      ],
      answer: 'b',
      explanation:
        'To a friend we use Hi or Hello + first name. The other openings are for formal letters to people we do not know well.',
    },
    {
      key: 't2',
      type: 'multiple_choice',
      prompt: 'Which is the best way to end an email to a friend?',
      options: [
        { id: 'a', text: 'Yours faithfully,' },
        { id: 'b', text: 'Yours sincerely,' },
        { id: 'c', text: 'Take care,' },
        { id: 'd', text: 'I await your prompt reply.' },
      ],
      answer: 'c',
      explanation:
        'Take care, See you soon and Love are friendly endings. Yours faithfully and Yours sincerely are for formal letters.',
    },
    {
      key: 't3',
      type: 'multiple_choice',
      prompt: 'Which sentence sounds friendly and informal?',
      options: [
        { id: 'a', text: 'I am writing to inform you that I have moved house.' },
        { id: 'b', text: "Guess what? I've moved house!" },
        { id: 'c', text: 'Please be advised that my address has changed.' },
      ],
      answer: 'b',
      explanation:
        'Informal emails use contractions (I\'ve), short questions and exclamation marks. The other sentences sound like a bank or an office.',
    },
    {
      key: 't4',
      type: 'fill_blank',
      prompt: 'Complete with because, so or but: I missed the bus, ___ I was late for work.',
      answers: ['so'],
      explanation: 'So introduces a result: missing the bus caused me to be late. Because would give a reason, and but a contrast.',
    },
    {
      key: 't5',
      type: 'ordering',
      prompt: 'Put the parts of this short email in the best order.',
      items: [
        "Anyway, I'd better go.",
        'Hi Tom,',
        'Write back soon,',
        'Thanks for your email!',
        'Sam',
        "I've got some great news: I passed my driving test!",
      ],
      answer:
        "Hi Tom, Thanks for your email! I've got some great news: I passed my driving test! Anyway, I'd better go. Write back soon, Sam",
      explanation:
        'An informal email starts with a greeting, then thanks or a friendly opening line, then the main news, then a phrase like "Anyway, I\'d better go" before the ending and your name.',
    },
    {
      key: 't6',
      type: 'writing',
      prompt:
        'Your friend Alex has invited you to stay with their family for a weekend next month. Write an email to Alex. Thank Alex for the invitation, say which weekend is best for you and why, and ask what you should bring.',
      minWords: 80,
      maxWords: 150,
      keywords: ['thanks', 'invitation', 'weekend', 'stay', 'family', 'bring', 'because', 'looking forward'],
      explanation:
        'A good answer opens and closes in a friendly way, covers all three points in separate short paragraphs, and links ideas with words like because, so and but.',
    },
    {
      key: 't7',
      type: 'writing',
      prompt:
        'You went on a short holiday last month. Write an email to an English-speaking friend. Say where you went and who with, describe two things you did, and say whether you would recommend the place.',
      minWords: 80,
      maxWords: 150,
      keywords: ['holiday', 'went', 'stayed', 'visited', 'weather', 'food', 'recommend', 'trip'],
      explanation:
        'Use the past simple for what you did (went, stayed, visited) and finish with your recommendation and a friendly ending such as "Write back soon".',
    },
  ],
};
