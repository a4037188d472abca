import type { ModuleContent } from '../types.js';

const TRANSCRIPT = `Priya: Welcome back to Everyday Futures. I'm Priya, and today I'm joined by Tom Okafor, who runs a repair café in Bristol. Tom, for anyone who hasn't come across one, what actually is a repair café?

Tom: So, basically, it's a free event – ours is on the first Saturday of every month – where people bring in things that are broken. Toasters, lamps, jeans with holes in them, bikes... and volunteers with the right skills help them fix them. The key word there is "help". We don't just take your kettle away and hand it back an hour later. We want you to sit with us and see how it's done.

Priya: Why does that matter so much?

Tom: Because the next time it breaks, you might have a go yourself. Honestly, the repair is almost secondary. What we're really trying to change is people's confidence. A lot of people assume that if something stops working, it's beyond saving, when quite often it's a loose wire or a blown fuse.

Priya: Now, I have to ask – manufacturers don't always make repairs easy, do they?

Tom: No, and that's the frustrating part. Some products are glued shut, or you can't get spare parts, or the parts cost nearly as much as a new one. I wouldn't say it's always deliberate, but it certainly doesn't encourage people to repair things. That said, things are slowly improving. There's more pressure on companies now to keep parts available for longer.

Priya: What's your success rate, roughly?

Tom: We manage to fix around two thirds of what comes through the door, which people are often surprised by. They tend to expect it to be much lower.

Priya: And the other third?

Tom: Well, even then it's rarely a wasted trip. Sometimes we can at least tell people what's wrong, so they know which part to order. And sometimes, to be fair, the thing really has had its day.

Priya: Who tends to come along?

Tom: To be honest, I expected mainly older people – people who grew up mending things – and we do get plenty of them. But the biggest change in the last couple of years has been students and young families. I think money's part of it, but I also think people are just tired of throwing things away.`;

export const module: ModuleContent = {
  slug: 'b2-listening-podcast',
  version: 1,
  title: 'Listening: a podcast about repair cafés',
  description:
    "You will be able to follow a podcast interview, understand a speaker's main aims and opinions, and interpret idiomatic and hedged language.",
  level: 'B2',
  skill: 'listening',
  estimatedMinutes: 25,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: "What is Tom's main aim in running the repair café?",
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'To fix as many broken items as possible' },
        { id: 'b', text: 'To give people the confidence to repair things themselves' },
        { id: 'c', text: 'To sell spare parts at low prices' },
        { id: 'd', text: 'To persuade manufacturers to change their products' },
      ],
      answer: 'b',
      explanation:
        'Tom says "the repair is almost secondary. What we\'re really trying to change is people\'s confidence."',
    },
    {
      key: 't2',
      type: 'multiple_choice',
      prompt: 'Why does Tom emphasise the word "help"?',
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'Because the café needs more volunteers to help.' },
        { id: 'b', text: 'Because visitors are expected to take part in the repair, not just wait for it.' },
        { id: 'c', text: 'Because the repairs are free of charge.' },
        { id: 'd', text: 'Because some items are too difficult to fix.' },
      ],
      answer: 'b',
      explanation:
        'He contrasts helping with simply taking the item away: "We want you to sit with us and see how it\'s done."',
    },
    {
      key: 't3',
      type: 'fill_blank',
      prompt: 'The repair café takes place on the first ___ of every month.',
      passage: TRANSCRIPT,
      answers: ['Saturday'],
      explanation: 'Tom says "ours is on the first Saturday of every month".',
    },
    {
      key: 't4',
      type: 'multiple_choice',
      prompt: 'What is Tom\'s view of manufacturers?',
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'They deliberately make every product impossible to repair.' },
        { id: 'b', text: 'Their products often discourage repair, though this is not always intentional.' },
        { id: 'c', text: 'They have completely stopped producing spare parts.' },
        { id: 'd', text: 'They are the main supporters of repair cafés.' },
      ],
      answer: 'b',
      explanation:
        'Tom lists problems such as glued products and expensive parts, but hedges with "I wouldn\'t say it\'s always deliberate".',
    },
    {
      key: 't5',
      type: 'fill_blank',
      prompt: 'The café manages to fix around ___ of the items that people bring in.',
      passage: TRANSCRIPT,
      answers: ['two thirds', 'two-thirds', '2/3'],
      explanation: 'Tom says "We manage to fix around two thirds of what comes through the door".',
    },
    {
      key: 't6',
      type: 'multiple_choice',
      prompt: 'How do people usually react when they hear the success rate?',
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'They are disappointed because they expected more.' },
        { id: 'b', text: 'They are surprised because they expected fewer repairs to succeed.' },
        { id: 'c', text: 'They are not interested in the figures.' },
        { id: 'd', text: 'They doubt that the figure is true.' },
      ],
      answer: 'b',
      explanation:
        'Tom says people "are often surprised" and "tend to expect it to be much lower", so the real rate is better than they expected.',
    },
    {
      key: 't7',
      type: 'multiple_choice',
      prompt: 'What does Tom mean when he says that an item "really has had its day"?',
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'It is too old or worn out to be worth repairing.' },
        { id: 'b', text: 'It was repaired on the same day.' },
        { id: 'c', text: 'Its owner has used it every day.' },
        { id: 'd', text: 'It is fashionable again.' },
      ],
      answer: 'a',
      explanation:
        'If something "has had its day", its useful life is over. Tom uses it for the items that cannot sensibly be fixed.',
    },
    {
      key: 't8',
      type: 'multiple_choice',
      prompt: 'According to Tom, which visitors have increased most in the last couple of years?',
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'Older people who grew up mending things' },
        { id: 'b', text: 'Students and young families' },
        { id: 'c', text: 'Professional repairers' },
        { id: 'd', text: 'People who work for manufacturers' },
      ],
      answer: 'b',
      explanation:
        'Older people do come ("we do get plenty of them"), but "the biggest change in the last couple of years has been students and young families".',
    },
    {
      key: 't9',
      type: 'multiple_choice',
      prompt: 'What reasons does Tom give for this change?',
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'Only that people have less money' },
        { id: 'b', text: 'Partly money, and partly that people are tired of throwing things away' },
        { id: 'c', text: 'Mainly advertising on social media' },
        { id: 'd', text: 'New repair courses at universities' },
      ],
      answer: 'b',
      explanation:
        '"I think money\'s part of it, but I also think people are just tired of throwing things away" gives two reasons, not one.',
    },
  ],
};
